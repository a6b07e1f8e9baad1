/** Text from job files, servers and feeds is shown with control characters escaped (no escape sequences reach the terminal). */
export function escapeTerminal(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
