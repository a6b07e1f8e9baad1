// PLACEHOLDER: replaced by the owner of this command. Registers the name so the CLI compiles.
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import type { CliContext } from "../context.js";

export function registerValidate(program: Command, _ctx: CliContext): void {
  program
    .command("validate")
    .description("(not built yet)")
    .allowUnknownOption()
    .action(() => {
      throw new FeedpipeError("USAGE", "feedpipe validate is not built yet");
    });
}
