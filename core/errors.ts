// Base error with a stable code, shared by every component's errors.ts.

export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The body of every error answer, on every server: {"error":{"code","message"}}. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
