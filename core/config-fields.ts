// Field rules the configuration schema shares: ports, flags, optional strings, time zones, label lists, names.
import { z } from "zod";

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const flag = (fallback: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
    .default(fallback ? "1" : "0")
    .transform((v) => ["1", "true", "yes", "on"].includes(v));
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

/** An IANA time zone Intl knows ("Asia/Seoul"); Intl throws RangeError for any other. */
export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an IANA time zone such as Asia/Seoul" },
);

/** "id=Label,id2=Label 2": display names of channel or category ids on the dashboard. */
export const labelList = optionalString.transform((v, ctx) => {
  const labels: Record<string, string> = {};
  if (v === undefined) return Object.freeze(labels);
  for (const item of v.split(",")) {
    const at = item.indexOf("=");
    const id = item.slice(0, at).trim();
    const label = item.slice(at + 1).trim();
    if (at <= 0 || !/^[A-Za-z0-9_.-]{1,40}$/.test(id) || label === "" || label.length > 60) {
      ctx.addIssue({ code: "custom", message: `"${item.trim()}" must be id=label (id as in events, label 1-60 characters)` });
      return z.NEVER;
    }
    labels[id] = label;
  }
  return Object.freeze(labels);
});
/** FunctionName as the Lambda Invoke API reference gives its pattern (name, partial ARN or ARN, optional qualifier). */
export const lambdaFunctionName =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

// CloudWatch namespace of the EMF metrics; on ECS the EMF lines are on only when it is set.
export const metricsNamespace = optionalString.pipe(
  z
    .string()
    .regex(/^[A-Za-z0-9_./#:-]{1,255}$/, "must be a CloudWatch namespace: 1-255 chars of [A-Za-z0-9_./#:-]")
    .optional(),
);
