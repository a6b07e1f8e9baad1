/**
 * The product schema and its rules, in one import: the shape (zod + JSON Schema), the rule codes,
 * the value normalisers and the fast per-record validator.
 */
export { CURRENCY_CODES, type CurrencyCode, isCurrencyCode, WITHDRAWN_CURRENCIES } from "./currencies.js";
export { productJsonSchema } from "./json-schema.js";
export {
  checkGtin,
  decodeEntities,
  type GtinCheck,
  type GtinCode,
  gtinCheckDigit,
  gtinPrefixRule,
  normalizeAvailability,
  normalizeCurrency,
  normalizeMultiline,
  normalizeText,
  type PriceParse,
  type PriceParseOptions,
  parsePrice,
  stripHtml,
} from "./normalize.js";
export {
  AVAILABILITY_VALUES,
  type Availability,
  GTIN_PATTERN,
  HTTP_URL_PATTERN,
  PRODUCT_FIELDS,
  type Product,
  type ProductField,
  productSchema,
  REQUIRED_PRODUCT_FIELDS,
} from "./product.js";
export { LIMITS, RULE_CODES, RULES, type RuleCode, type RuleInfo } from "./rules.js";
export {
  type CandidateProduct,
  compileValidator,
  type ResolvedValidateOptions,
  resolveValidateOptions,
  type ValidateOptions,
  type ValidationResult,
  validateCandidate,
  validateOptionsSchema,
} from "./validate.js";
