/** The text rules' fast tests live in src/core (the reader thread uses them too). */
export { isPlainText, plainSpaced } from "../src/core/plain-text.js";
