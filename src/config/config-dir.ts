// Configuration directory selection shared by every Outpost command, as in
// Postfix: `-c DIR` wins, then the MAIL_CONFIG environment variable, then
// /etc/postfix (config_directory's compiled-in default).
export const DEFAULT_CONFIG_DIRECTORY = '/etc/postfix';

export function resolveConfigDir(cliDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (cliDir !== undefined && cliDir !== '') return cliDir;
  const fromEnv = env.MAIL_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return DEFAULT_CONFIG_DIRECTORY;
}
