/**
 * `feedpipe/sandbox`: the built-in local sandbox of every network (for tests and demos): the
 * server, its network modules and the default set-up with its credentials.
 */
export {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  startSandbox,
} from "../sandbox/server.js";
export { partnerizeModule } from "../sandbox/partnerize.js";
export { partnerboostPublisherModule } from "../sandbox/partnerboost-publisher.js";
export { partnerboostAmazonModule } from "../sandbox/partnerboost-amazon.js";
export { partnerboostBrandModule } from "../sandbox/partnerboost-brand.js";
export {
  type DefaultSandbox,
  type DefaultSandboxOptions,
  PARTNERBOOST_SANDBOX_BRAND,
  PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN,
  PARTNERIZE_SANDBOX_CREDENTIALS,
  sandboxCatalogCsv,
  startDefaultSandbox,
} from "../sandbox/index.js";
export { generateCatalog } from "../sandbox/catalog.js";
