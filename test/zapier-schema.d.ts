/** Core's own schema tools: the checks `zapier-platform validate` runs offline. */
declare module 'zapier-platform-core/src/tools/schema' {
  export function compileApp(app: unknown): unknown;
  export function validateApp(compiledApp: unknown): Array<{ property?: string; message?: string }>;
}
