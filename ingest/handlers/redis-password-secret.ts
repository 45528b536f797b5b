// Cold-start secret loading on Lambda: REDIS_PASSWORD (the ElastiCache AUTH token) from Secrets Manager, by the secret's ARN.
import { coldStartClientOptions, loadColdStartSecret } from "./cold-start-secret.js";

/**
 * When REDIS_PASSWORD_SECRET_ARN names a secret and REDIS_PASSWORD is not already set, reads the secret's SecretString
 * once into env.REDIS_PASSWORD, before the configuration is parsed (serverless.yml resolves the ARN from the SSM
 * parameter the infrastructure publishes; CloudFormation could put the token itself into the environment only in the
 * clear, visible to anyone who may read the function's configuration). The infrastructure generates the secret as a
 * plain string, the token itself, as ElastiCache and the ECS tasks read it. Does nothing locally or under serverless-offline.
 */
export function loadRedisPasswordFromSecretsManager(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return loadColdStartSecret(
    {
      nameSetting: "REDIS_PASSWORD_SECRET_ARN",
      valueSetting: "REDIS_PASSWORD",
      service: "Secrets Manager",
      read: async (secretId) => {
        // Bundled into every artifact (serverless.yml), so the version is the one tested here, not the runtime's.
        const { GetSecretValueCommand, SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
        // GetSecretValue allows 10,000 calls per second per Region, far above what a cold-start wave asks.
        const client = new SecretsManagerClient(coldStartClientOptions);
        try {
          return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
        } finally {
          client.destroy();
        }
      },
    },
    env,
  );
}
