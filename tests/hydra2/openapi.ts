import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";

/**
 * Validates answers against the schemas of Hydra's OpenAPI document
 * (spec/hydra-v2/api.json). OpenAPI 3.0 schemas are JSON Schema with a few
 * extra keywords (`example`, `nullable`), so Ajv runs without strict mode.
 */
const document = JSON.parse(readFileSync(join(process.cwd(), "spec", "hydra-v2", "api.json"), "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(document, "hydra");

/** Asserts that `value` is valid for `#/components/schemas/<name>`. */
export function assertSchema(name: string, value: unknown): void {
  const validate = ajv.getSchema(`hydra#/components/schemas/${name}`);
  assert.ok(validate, `api.json has no schema ${name}`);
  const valid = validate(value);
  assert.ok(valid, `not a valid ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

/** Asserts an error answer: the status and Hydra's errorOAuth2 body. */
export async function assertError(response: Response, status: number, error?: string): Promise<void> {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}`);
  const body = (await response.json()) as { error: string; error_description: string };
  assertSchema("errorOAuth2", body);
  assert.equal(typeof body.error, "string");
  assert.equal(typeof body.error_description, "string");
  if (error !== undefined) assert.equal(body.error, error);
}
