/** The feedpipe version the CLI reports (`--version`, reports). */
export const VERSION = "0.1.0";
