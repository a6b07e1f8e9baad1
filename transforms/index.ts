/**
 * Mapping: presets for common shop and network layouts, mapping files for everything else, and
 * the record mapper the pipeline runs (hook → declarative mapping → candidate product fields).
 */
import type { Fields, Issue } from "../src/core/record.js";
import { type Candidate, compileMapping, type MappingSpec } from "./mapping.js";
import type { LoadedMapping } from "./mapping-file.js";
import { type Prepare, type Preset, type PresetOptions, Skip } from "./preset.js";

export {
  type Candidate,
  compileField,
  compileMapping,
  type FieldSpec,
  isProductField,
  type Mapper,
  type MappingOptions,
  type MappingSpec,
  type ProductField,
} from "./mapping.js";
export { type LoadedMapping, loadMappingFile, mappingFileSchema, parseMapping } from "./mapping-file.js";
export { joinUrl, type Prepare, type Preset, type PresetOptions, type Signature, Skip } from "./preset.js";
export {
  type Detection,
  detectPreset,
  getPreset,
  layoutUnknown,
  PRESET_NAMES,
  PRESETS,
} from "./presets/index.js";
export { checkTemplate, compileTemplate } from "./template.js";
export {
  checkTransform,
  compileTransform,
  compileTransforms,
  localeUsesDecimalComma,
  parseLocaleNumber,
  splitPrice,
  TRANSFORM_NAMES,
  type TransformSpec,
} from "./transforms.js";
export { compilePath, isBlankRecord, isValidPath, toValue, type Value } from "./value.js";

/** Maps one record (fields after the reader) to candidate product fields, or a Skip. */
export type RecordMapper = (fields: Fields, issues: Issue[]) => Candidate | Skip;

/**
 * Build the mapper for one run. With a mapping file that names a preset, the file's fields override
 * the preset's and the preset's hook still runs. `keys` (header or first record's names) lets source
 * names match case-insensitively.
 */
export function createRecordMapper(
  preset: Preset | undefined,
  mapping: LoadedMapping | undefined,
  options: PresetOptions,
  keys: Iterable<string> | undefined,
): RecordMapper {
  let spec: MappingSpec;
  if (preset && mapping) spec = { fields: { ...preset.mapping(options).fields, ...mapping.spec.fields } };
  else if (mapping) spec = mapping.spec;
  else if (preset) spec = preset.mapping(options);
  else throw new Error("createRecordMapper needs a preset or a mapping");
  const map = compileMapping(spec, keys);
  const prepare: Prepare | undefined = preset?.prepare?.(options);
  if (!prepare) return (fields) => map(fields);
  return (fields, issues) => {
    const prepared = prepare(fields, issues);
    return prepared instanceof Skip ? prepared : map(prepared);
  };
}
