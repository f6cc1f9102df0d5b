import type { Role } from '../../../src/model/auth.js';

/** The operator screens under #/manage/<screen>, each with the role that may look and the role that may change. */
export const SCREENS = {
  rules: { view: 'viewer', change: 'operator' },
  commands: { view: 'viewer', change: 'operator' },
  channels: { view: 'viewer', change: 'operator' },
  profiles: { view: 'viewer', change: 'operator' },
  ota: { view: 'viewer', change: 'operator' },
  equipment: { view: 'viewer', change: 'operator' },
  mappings: { view: 'viewer', change: 'admin' },
  models: { view: 'viewer', change: 'operator' },
  rejected: { view: 'viewer', change: 'operator' },
  import: { view: 'viewer', change: 'operator' },
  retention: { view: 'viewer', change: 'admin' },
  audit: { view: 'admin', change: 'admin' },
  stats: { view: 'viewer', change: 'viewer' },
} as const satisfies Record<string, { view: Role; change: Role }>;

export type Screen = keyof typeof SCREENS;
export const screens = Object.keys(SCREENS) as Screen[];

/** "#/manage/commands?device=x" -> { screen: 'commands', params }; null for any other hash. */
export function parseTaskHash(hash: string): { screen: Screen; params: URLSearchParams } | null {
  const m = /^#?\/manage(?:\/([a-z]+))?\/?(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  const screen = (m[1] ?? 'rules') as Screen;
  if (!(screen in SCREENS)) return null;
  return { screen, params: new URLSearchParams(m[2] ?? '') };
}

export function taskHref(screen: Screen, params?: Record<string, string>): string {
  const q = params ? new URLSearchParams(params).toString() : '';
  return `#/manage/${screen}${q ? `?${q}` : ''}`;
}
