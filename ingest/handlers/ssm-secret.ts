// Cold-start secret loading on Lambda: INGEST_SECRET from an SSM SecureString (CloudFormation cannot put one in env vars).

/**
 * When INGEST_SECRET_SSM_PARAMETER names a parameter and INGEST_SECRET is not already set, reads it once (with
 * decryption) into env.INGEST_SECRET, before the configuration is parsed. Does nothing locally or under serverless-offline.
 */
export async function loadIngestSecretFromSsm(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const name = env.INGEST_SECRET_SSM_PARAMETER;
  if (name === undefined || name === "" || (env.INGEST_SECRET ?? "") !== "") return;
  // serverless-offline sets IS_OFFLINE: locally the secret, if any, comes from INGEST_SECRET itself.
  if (env.IS_OFFLINE === "true") return;
  // Imported only here: the Lambda Node.js runtime ships the AWS SDK, and local runs never need it.
  const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({ maxAttempts: 3 });
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined || value === "") throw new Error(`INGEST_SECRET_SSM_PARAMETER: parameter "${name}" has no value`);
    env.INGEST_SECRET = value;
  } finally {
    client.destroy();
  }
}
