// Cold-start secret loading on Lambda: INGEST_SECRET from an SSM SecureString (CloudFormation cannot put one in env vars).
import { coldStartClientOptions, loadColdStartSecret } from "./cold-start-secret.js";

/**
 * When INGEST_SECRET_SSM_PARAMETER names a parameter and INGEST_SECRET is not already set, reads it once (with
 * decryption) into env.INGEST_SECRET, before the configuration is parsed. Does nothing locally or under serverless-offline.
 * Only ingestHttp calls it: the secret signs HTTP requests, and no other function needs it (or SSM) to count.
 */
export function loadIngestSecretFromSsm(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return loadColdStartSecret(
    {
      nameSetting: "INGEST_SECRET_SSM_PARAMETER",
      valueSetting: "INGEST_SECRET",
      service: "SSM",
      read: async (name) => {
        // Bundled into the ingestHttp artifact (serverless.yml), so the version is the one tested here, not the runtime's.
        const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
        // Parameter Store throttles GetParameter per account and Region (docs: "Changing Parameter Store throughput"):
        // the cold-start client's adaptive retries back off on ThrottlingException.
        const client = new SSMClient(coldStartClientOptions);
        try {
          return (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
        } finally {
          client.destroy();
        }
      },
    },
    env,
  );
}
