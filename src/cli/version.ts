/** Tool name and version as written into capture headers. */
export const TOOL_VERSION = '0.1.0';
export const TOOL = `imapdbg ${TOOL_VERSION}`;
