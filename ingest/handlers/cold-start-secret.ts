// Cold-start secret loading on Lambda, one rule for every secret (SSM SecureString, Secrets Manager): read once into the
// environment before the configuration is parsed; a secret that cannot be read is an error counting waits for, not a crash.
import { CodedError } from "../../core/errors.js";

/** A secret did not arrive (throttled past the retries, unreachable, denied, missing); `setting` names where it comes from. */
export class SecretUnavailableError extends CodedError {
  constructor(setting: string, what: string, cause: unknown) {
    super("SECRET_UNAVAILABLE", `${setting}: could not read ${what} (${(cause as Error).message})`, { cause });
  }
}

/**
 * The AWS SDK client settings of a cold-start read: adaptive retries back off on throttling, and short socket timeouts
 * keep a cold start inside Lambda's 10 s init phase (three attempts, a few seconds in all) even when the VPC has no
 * route to the service (no NAT, no endpoint).
 */
export const coldStartClientOptions = {
  maxAttempts: 3,
  retryMode: "adaptive",
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
} as const;

export interface ColdStartSecret {
  /** The setting that names the secret (the parameter's name, the secret's ARN). */
  readonly nameSetting: string;
  /** The setting the value goes into. */
  readonly valueSetting: string;
  /** Where it is read from, for the error: "SSM", "Secrets Manager". */
  readonly service: string;
  /** Reads the value (undefined or empty when the secret holds none). */
  read(name: string): Promise<string | undefined>;
}

/**
 * When `nameSetting` names a secret and `valueSetting` is not already set, reads it once into env[valueSetting].
 * Does nothing locally or under serverless-offline (which sets IS_OFFLINE: there the value comes from the setting itself).
 */
export async function loadColdStartSecret(secret: ColdStartSecret, env: NodeJS.ProcessEnv): Promise<void> {
  const name = (env[secret.nameSetting] ?? "").trim();
  if (name === "" || (env[secret.valueSetting] ?? "") !== "") return;
  if (env.IS_OFFLINE === "true") return;
  try {
    const value = await secret.read(name);
    if (value === undefined || value === "") throw new Error(`${secret.service} holds no value for it`);
    env[secret.valueSetting] = value;
  } catch (err) {
    throw new SecretUnavailableError(secret.nameSetting, `"${name}" from ${secret.service}`, err);
  }
}
