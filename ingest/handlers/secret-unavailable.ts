// The error of a cold-start secret that could not be read (SSM or Secrets Manager): counting waits for it, nothing crashes.
import { CodedError } from "../../core/errors.js";

/** A secret did not arrive (throttled past the retries, unreachable, denied, missing); `setting` names where it comes from. */
export class SecretUnavailableError extends CodedError {
  constructor(setting: string, what: string, cause: unknown) {
    super("SECRET_UNAVAILABLE", `${setting}: could not read ${what} (${(cause as Error).message})`, { cause });
  }
}
