// Money and count formatting for the counter: exact (BigInt, never a float), full figures or Korean units (억/만).

/** "full": ₩74,300,000,000 (the default). "korean": 743억 원, 743억 2,115만 원, 1조 원. */
export type CounterFormat = "full" | "korean";

export function parseFormat(value: string | null | undefined): CounterFormat {
  return value === "korean" || value === "ko" ? "korean" : "full";
}

const fractionDigitsCache = new Map<string, number>();

/** Minor units per major unit of a currency, as Intl knows it (KRW 0, USD 2); 0 for an unknown code. */
export function fractionDigitsOf(currency: string): number {
  let digits = fractionDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 0;
    } catch {
      digits = 0;
    }
    fractionDigitsCache.set(currency, digits);
  }
  return digits;
}

const currencyFormatters = new Map<string, Intl.NumberFormat>();

function currencyFormatter(currency: string): Intl.NumberFormat {
  let formatter = currencyFormatters.get(currency);
  if (!formatter) {
    const digits = fractionDigitsOf(currency);
    try {
      formatter = new Intl.NumberFormat("ko-KR", {
        style: "currency",
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    } catch {
      formatter = new Intl.NumberFormat("ko-KR");
    }
    currencyFormatters.set(currency, formatter);
  }
  return formatter;
}

const grouping = new Intl.NumberFormat("ko-KR");

/** Digit grouping for a count or a BigInt: 1,000,000. */
export function formatCount(value: number | bigint): string {
  return grouping.format(value);
}

/** The amount in major units as an exact decimal string ("12345.67" for 1234567 cents). */
function majorUnits(minor: bigint, digits: number): string {
  if (digits === 0) return minor.toString();
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, "0");
  return `${negative ? "-" : ""}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** Korean myriad units, largest first (경 = 10^16 is past any sale). */
const koreanUnits: ReadonlyArray<readonly [bigint, string]> = [
  [10n ** 12n, "조"],
  [10n ** 8n, "억"],
  [10n ** 4n, "만"],
];

/** 74321154321 → "743억 2,115만 4,321"; 74321150000 → "743억 2,115만"; 0 → "0". */
export function koreanDigits(value: bigint): string {
  const negative = value < 0n;
  let rest = negative ? -value : value;
  const parts: string[] = [];
  for (const [unit, name] of koreanUnits) {
    if (rest >= unit) {
      parts.push(`${grouping.format(rest / unit)}${name}`);
      rest %= unit;
    }
  }
  if (rest > 0n || parts.length === 0) parts.push(grouping.format(rest));
  return `${negative ? "-" : ""}${parts.join(" ")}`;
}

/**
 * The total as a shopper reads it. Korean units apply to currencies without minor units (KRW: "원", others: their
 * code); a currency with cents keeps the full figure so that they are never hidden.
 */
export function formatAmount(minor: bigint, currency: string, format: CounterFormat = "full"): string {
  const digits = fractionDigitsOf(currency);
  if (format === "korean" && digits === 0) {
    const text = koreanDigits(minor);
    const won = currency === "KRW" ? "원" : ` ${currency}`;
    // "743억 원" reads with a space after a unit, "4,321원" without one.
    return /[조억만]$/.test(text) ? `${text} ${won.trim()}` : `${text}${won}`;
  }
  // Intl formats a decimal string exactly (no conversion to a double).
  return currencyFormatter(currency).format(majorUnits(minor, digits) as unknown as number);
}

/** The same text with every digit replaced by 0: texts of one shape have one width in tabular figures. */
export function shapeOf(text: string): string {
  return text.replace(/\d/g, "0");
}
