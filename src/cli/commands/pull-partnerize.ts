// PLACEHOLDER: replaced by the owner of this command. Registers the name so the CLI compiles.
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import type { CliContext } from "../context.js";

export function registerPullPartnerize(parent: Command, _ctx: CliContext): void {
  parent
    .command("partnerize")
    .description("(not built yet)")
    .allowUnknownOption()
    .action(() => {
      throw new FeedpipeError("USAGE", "feedpipe pull-partnerize is not built yet");
    });
}
