// Cold-start secret loading on Lambda: INGEST_SECRET from an SSM SecureString (CloudFormation cannot put one in env vars).
import { SecretUnavailableError } from "./secret-unavailable.js";

/**
 * When INGEST_SECRET_SSM_PARAMETER names a parameter and INGEST_SECRET is not already set, reads it once (with
 * decryption) into env.INGEST_SECRET, before the configuration is parsed. Does nothing locally or under serverless-offline.
 * Only ingestHttp calls it: the secret signs HTTP requests, and no other function needs it (or SSM) to count.
 */
export async function loadIngestSecretFromSsm(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const name = env.INGEST_SECRET_SSM_PARAMETER;
  if (name === undefined || name === "" || (env.INGEST_SECRET ?? "") !== "") return;
  // serverless-offline sets IS_OFFLINE: locally the secret, if any, comes from INGEST_SECRET itself.
  if (env.IS_OFFLINE === "true") return;
  // Bundled into the ingestHttp artifact (serverless.yml), so the version is the one tested here, not the runtime's.
  const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
  // Parameter Store throttles GetParameter per account and Region (docs: "Changing Parameter Store throughput"):
  // adaptive retries back off on ThrottlingException, and short socket timeouts keep a cold start inside Lambda's
  // 10 s init phase (three attempts, a few seconds in all) even when the VPC has no route to SSM (no NAT, no endpoint).
  const client = new SSMClient({
    maxAttempts: 3,
    retryMode: "adaptive",
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined || value === "") throw new Error("the parameter has no value");
    env.INGEST_SECRET = value;
  } catch (err) {
    throw new SecretUnavailableError("INGEST_SECRET_SSM_PARAMETER", `"${name}" from SSM`, err);
  } finally {
    client.destroy();
  }
}
