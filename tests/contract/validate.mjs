// Validates an AsyncAPI document: the official parser, then every message example
// against its payload schema with Ajv (JSON Schema 2020-12, as pydantic writes it).
// Usage: node validate.mjs FILE — prints every finding, exits 1 when one is an error.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020.js";

const [file] = process.argv.slice(2);
const text = await readFile(file, "utf8");
const severities = Object.fromEntries(Object.entries(DiagnosticSeverity).map(([k, v]) => [v, k]));

const { document, diagnostics } = await new Parser().parse(text);
let errors = 0;
for (const d of diagnostics) {
  if (d.severity === DiagnosticSeverity.Error) errors += 1;
  console.log(`${severities[d.severity]} ${d.code} at /${d.path.join("/")}: ${d.message}`);
}
if (document === undefined) {
  console.log("Error: the parser returned no document");
  errors += 1;
}

const raw = JSON.parse(text);
const ajv = new Ajv2020({ strict: false, allErrors: true });
const messages = [];
for (const [channel, { messages: found = {} }] of Object.entries(raw.channels ?? {})) {
  for (const [key, message] of Object.entries(found)) messages.push([`channels/${channel}/messages/${key}`, message]);
}
for (const [key, message] of Object.entries(raw.components?.messages ?? {})) {
  messages.push([`components/messages/${key}`, message]);
}
let examples = 0;
for (const [where, message] of messages) {
  if (message.$ref || message.payload === undefined) continue;
  let validate;
  try {
    validate = ajv.compile({ ...message.payload, components: raw.components });
  } catch (error) {
    console.log(`Error invalid-payload-schema at /${where}/payload: ${error.message}`);
    errors += 1;
    continue;
  }
  for (const [index, example] of (message.examples ?? []).entries()) {
    examples += 1;
    if (!validate(example.payload)) {
      console.log(`Error example-mismatch at /${where}/examples/${index}: ${ajv.errorsText(validate.errors)}`);
      errors += 1;
    }
  }
}

console.log(`${errors} errors, ${diagnostics.length} parser diagnostics, ${examples} examples checked`);
process.exit(errors === 0 ? 0 : 1);
