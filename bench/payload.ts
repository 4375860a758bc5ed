/** The 16 bytes every bench task writes to its out.txt: its number, zero-padded, and a newline. */
export function payload(i: number): string {
  return `${String(i).padStart(15, '0')}\n`;
}
