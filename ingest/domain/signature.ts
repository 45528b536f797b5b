// Verifies `x-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, as payment webhooks do.
import { createHmac, timingSafeEqual } from "node:crypto";
import { RequestRejectedError } from "./errors.js";

export const signatureToleranceSeconds = 300;

export function sign(secret: string, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/** Throws a 401 RequestRejectedError unless the header carries a fresh, valid signature of the raw body. */
export function verifySignature(secret: string, header: string | undefined, rawBody: string, nowMs = Date.now()): void {
  if (header === undefined || header === "") {
    throw new RequestRejectedError("SIGNATURE_MISSING", "x-signature: header is required (t=<unix seconds>,v1=<hex HMAC-SHA256>)", 401);
  }
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t") t = value;
    else if (key === "v1" && value) v1.push(value);
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || v1.length === 0) {
    throw new RequestRejectedError("SIGNATURE_MALFORMED", "x-signature: must look like t=<unix seconds>,v1=<hex HMAC-SHA256>", 401);
  }
  const skewSeconds = Math.abs(nowMs / 1000 - Number(t));
  if (skewSeconds > signatureToleranceSeconds) {
    throw new RequestRejectedError(
      "SIGNATURE_EXPIRED",
      `x-signature: timestamp t is ${Math.round(skewSeconds)} s from now; at most ${signatureToleranceSeconds} s allowed`,
      401,
    );
  }
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const matches = v1.some((hex) => {
    const given = /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, "hex") : undefined;
    return given !== undefined && timingSafeEqual(given, expected);
  });
  if (!matches) {
    throw new RequestRejectedError("SIGNATURE_INVALID", "x-signature: v1 does not match the HMAC-SHA256 of the body", 401);
  }
}
