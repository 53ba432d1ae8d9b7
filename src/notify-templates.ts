/**
 * Loading the person-notification templates: the built-in ones (templates/notify/, embedded at build time),
 * each replaced by the file of the same name in `NOTIFY_TEMPLATE_DIR` when that directory has one (on Lambda,
 * e.g. a layer mounted under /opt). Loaded and checked once at start-up: a template with an unknown variable
 * or without its Subject line stops start-up with one line naming NOTIFY_TEMPLATE_DIR and the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TEMPLATE_FILES } from './core/notify/default-templates.ts';
import { type MessageTemplates, parseTemplates, TemplateError } from './core/notify/templates.ts';
import { ConfigError } from './errors.ts';

const VARIABLE = 'NOTIFY_TEMPLATE_DIR';

/** The templates to send with: built-in, overridden file by file from `directory`. */
export function loadTemplates(directory: string | undefined): MessageTemplates {
  const files: Record<string, string> = { ...DEFAULT_TEMPLATE_FILES };
  if (directory !== undefined) {
    if (!existsSync(directory) || !statSync(directory).isDirectory()) {
      throw new ConfigError(VARIABLE, `"${directory}" is not a directory`);
    }
    for (const name of Object.keys(DEFAULT_TEMPLATE_FILES)) {
      const path = join(directory, name);
      if (existsSync(path)) files[name] = readFileSync(path, 'utf8');
    }
  }
  try {
    return parseTemplates(files);
  } catch (error) {
    if (error instanceof TemplateError) throw new ConfigError(VARIABLE, error.message, error);
    throw error;
  }
}
