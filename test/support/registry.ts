/** The schema registry URL that test/support/registry-setup.ts provides (or that you set). */
export function registryUrl(): string {
  const url = process.env.SCHEMA_REGISTRY_URL;
  if (!url)
    throw new Error('SCHEMA_REGISTRY_URL is not set: run through vitest (test/support/registry-setup.ts)');
  return url;
}
