// Cold-start secret loading on Lambda: REDIS_PASSWORD (the ElastiCache AUTH token) from Secrets Manager, by the secret's ARN.
import { SecretUnavailableError } from "./secret-unavailable.js";

/**
 * When REDIS_PASSWORD_SECRET_ARN names a secret and REDIS_PASSWORD is not already set, reads the secret's SecretString
 * once into env.REDIS_PASSWORD, before the configuration is parsed (serverless.yml resolves the ARN from the SSM
 * parameter the infrastructure publishes; CloudFormation could put the token itself into the environment only in the
 * clear, visible to anyone who may read the function's configuration). The infrastructure generates the secret as a
 * plain string, the token itself, as ElastiCache and the ECS tasks read it. Does nothing locally or under serverless-offline.
 */
export async function loadRedisPasswordFromSecretsManager(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secretId = (env.REDIS_PASSWORD_SECRET_ARN ?? "").trim();
  if (secretId === "" || (env.REDIS_PASSWORD ?? "") !== "") return;
  // serverless-offline sets IS_OFFLINE: locally the password, if any, comes from REDIS_PASSWORD itself.
  if (env.IS_OFFLINE === "true") return;
  // Bundled into every artifact (serverless.yml), so the version is the one tested here, not the runtime's.
  const { GetSecretValueCommand, SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  // GetSecretValue allows 10,000 calls per second per Region, far above what a cold-start wave asks; adaptive retries
  // and short socket timeouts keep a cold start inside Lambda's 10 s init phase even without a route to the service.
  const client = new SecretsManagerClient({
    maxAttempts: 3,
    retryMode: "adaptive",
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = out.SecretString;
    if (value === undefined || value === "") throw new Error("the secret has no SecretString");
    env.REDIS_PASSWORD = value;
  } catch (err) {
    throw new SecretUnavailableError("REDIS_PASSWORD_SECRET_ARN", `"${secretId}" from Secrets Manager`, err);
  } finally {
    client.destroy();
  }
}
