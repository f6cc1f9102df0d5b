// One start-up for the browser suites (test/e2e/*): the dashboard built, the program started
// (open, or locked with its first admin), Debian's Chromium through playwright-core, pages in a
// language with their errors collected, sign-in, the axe-core check and screenshots. Each suite
// keeps its own steps and assertions; what they all repeated lives here.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { requireServices } from './services.js';
import { ensureWebBuild, e2eArtifacts } from './web-build.js';
import { startTestApp } from './app.js';
import { bearer, login, startLockedApp } from './auth.js';
import { seriousViolations } from './axe.js';
import { loggableUrl } from '../../src/logger.js';

export { e2eArtifacts };

/** Decides at definition time whether a browser suite runs (skips loudly without Chromium, fails under CI). */
export function needChromium(suite: string): { skip: string | false } {
  return requireServices(suite, 'chromium');
}

/** The browser's locale for a dashboard language. */
export const localeOf = (lang: 'en' | 'ko'): string => (lang === 'ko' ? 'ko-KR' : 'en-US');

/** Debian's Chromium, headless, closed when the test ends. */
export async function launchChromium(t: TestContext): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  return browser;
}

export interface PageOptions extends Omit<BrowserContextOptions, 'locale'> {
  /** The browser's language: 'en' (en-US), 'ko' (ko-KR), or a locale as is. Absent: Chromium's default. */
  lang?: 'en' | 'ko' | string;
  /** Screenshot names start with this (e.g. "views-ko-"). */
  shots?: string;
}

/** A page in its own browser context, with what every suite asks of it. */
export interface E2ePage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors on this page (also gathered in the suite's `errors`). */
  errors: string[];
  /** Saves test-artifacts/e2e/<shots><name>.png (the full page unless told). */
  shot(name: string, o?: { fullPage?: boolean }): Promise<void>;
  /** axe-core in the light and the dark theme: the serious and critical violations, one line each. */
  axe(): Promise<string[]>;
  /** Fails the test on any serious or critical axe violation, naming `what`. */
  expectAccessible(what: string): Promise<void>;
  /** The trimmed text of the first match ('' when it has none). */
  text(selector: string): Promise<string>;
  /** Fills the sign-in form and submits it (the form must be on screen). */
  submitLogin(user: string, password: string): Promise<void>;
  /** From #/login: signs in and waits for the header's account name. `keyboard`: typed, Tab, Enter. */
  signIn(user: string, password: string, o?: { keyboard?: boolean }): Promise<void>;
  /** The header's sign-out; waits for the sign-in form. */
  signOut(): Promise<void>;
  /** Switches the language from the header's menu and waits for <html lang>. */
  chooseLanguage(lang: 'en' | 'ko'): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserSuite {
  app: RunningApp;
  browser: Browser;
  /** The first admin's password (locked apps; null otherwise). */
  adminPassword: string | null;
  /** An access token of the first admin (locked apps; null otherwise). */
  adminToken: string | null;
  /** Every page's uncaught errors. */
  errors: string[];
  /**
   * Calls the API (as the first admin when locked) and answers the JSON body; fails the test on a
   * status that is not 2xx. A string body without a content type is sent as JSON.
   */
  api<T>(path: string, init?: RequestInit): Promise<T>;
  open(o?: PageOptions): Promise<E2ePage>;
}

export interface SuiteOptions {
  /** An app the caller started and stops (e.g. on its own PostgreSQL); else one is started here. */
  app?: RunningApp;
  /** No anonymous access, not insecure-local: the sign-in screen first (startLockedApp). */
  locked?: boolean;
  config?: Partial<Config>;
}

/**
 * The dashboard built, the artifacts folder made, the app (started here unless given) and Chromium:
 * both stopped when the test ends.
 */
export async function startBrowserSuite(t: TestContext, o: SuiteOptions = {}): Promise<BrowserSuite> {
  ensureWebBuild();
  mkdirSync(e2eArtifacts, { recursive: true });
  // Registered first so it runs before the app and the browser stop (after-hooks run in order).
  const trails: { name: string; page: Page; events: string[] }[] = [];
  // The test's name in the file name: suites without a screenshot prefix would overwrite each other's.
  const suiteSlug = t.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  t.after(() => writeTrails(trails));
  let app: RunningApp;
  let adminPassword: string | null = null;
  let adminToken: string | null = null;
  if (o.app) app = o.app;
  else if (o.locked) {
    const locked = await startLockedApp(o.config);
    t.after(() => locked.remove());
    app = locked.app;
    adminPassword = locked.adminPassword;
    adminToken = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
  } else {
    const started = await startTestApp(o.config);
    t.after(() => started.stop());
    app = started;
  }
  const browser = await launchChromium(t);
  const errors: string[] = [];

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const headers: Record<string, string> = { ...(adminToken ? bearer(adminToken) : {}) };
    if (typeof init.body === 'string') headers['content-type'] = 'application/json';
    const res = await fetch(app.httpUrl + path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    const body = await res.text();
    assert.ok(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${body.slice(0, 300)}`);
    return (body ? JSON.parse(body) : undefined) as T;
  };

  const open = async (po: PageOptions = {}): Promise<E2ePage> => {
    const { lang, shots = '', ...contextOptions } = po;
    const locale = lang === 'en' || lang === 'ko' ? localeOf(lang) : lang;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions, ...(locale ? { locale } : {}) });
    const page = await context.newPage();
    const own: string[] = [];
    page.on('pageerror', (e) => {
      own.push(String(e));
      errors.push(String(e));
    });
    trails.push({ name: `${suiteSlug}-${shots}page-${trails.length + 1}`, page, events: followPage(page) });
    const text = async (sel: string) => ((await page.textContent(sel)) ?? '').trim();
    const submitLogin = async (user: string, password: string) => {
      await page.fill('[data-testid="login-username"]', user);
      await page.fill('[data-testid="login-password"]', password);
      await page.click('[data-testid="login-submit"]');
    };
    return {
      page,
      context,
      errors: own,
      shot: async (name, so = {}) => {
        await page.screenshot({ path: join(e2eArtifacts, `${shots}${name}.png`), fullPage: so.fullPage ?? true });
      },
      axe: () => seriousViolations(page),
      expectAccessible: async (what) => {
        const v = await seriousViolations(page);
        assert.deepEqual(v, [], `${what}: axe: ${v.join('; ')}`);
      },
      text,
      submitLogin,
      signIn: async (user, password, so = {}) => {
        await page.goto(`${app.httpUrl}/#/login`);
        await page.waitForSelector('[data-testid="login-form"]');
        if (so.keyboard) {
          await page.fill('[data-testid="login-username"]', '');
          await page.focus('[data-testid="login-username"]');
          await page.keyboard.type(user);
          await page.keyboard.press('Tab');
          await page.keyboard.type(password);
          await page.keyboard.press('Enter');
        } else await submitLogin(user, password);
        await page.waitForSelector('[data-testid="account-name"]', { timeout: 10_000 });
      },
      signOut: async () => {
        await page.click('[data-testid="sign-out"]');
        await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
      },
      chooseLanguage: async (l) => {
        await page.selectOption('[data-testid="language"]', l);
        await page.waitForFunction((want) => document.documentElement.lang === want, l);
      },
      close: () => context.close(),
    };
  };

  return { app, browser, adminPassword, adminToken, errors, api, open };
}

const TRAIL_EVENTS = 200;

/**
 * What a page did, for reading after a failure that only CI saw: navigations, console warnings
 * and errors, uncaught errors, failed requests and HTTP answers >= 400, each with the time since
 * the page opened. Kept to the last TRAIL_EVENTS.
 */
function followPage(page: Page): string[] {
  const t0 = Date.now();
  const events: string[] = [];
  const add = (line: string) => {
    // The live socket carries its access token in the URL: not kept in a file.
    events.push(`${String(Date.now() - t0).padStart(6)} ms  ${loggableUrl(line)}`);
    if (events.length > TRAIL_EVENTS) events.shift();
  };
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) add(`navigated ${f.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') add(`console.${m.type()} ${m.text().slice(0, 500)}`);
  });
  page.on('pageerror', (e) => add(`pageerror ${String(e).slice(0, 500)}`));
  page.on('requestfailed', (r) => add(`request failed ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) add(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return events;
}

/** test-artifacts/e2e/<test name>-<shots>page-N.log: the trail, the URL and the text on screen at the end. */
async function writeTrails(trails: { name: string; page: Page; events: string[] }[]): Promise<void> {
  for (const { name, page, events } of trails) {
    let end = '(page closed)';
    if (!page.isClosed()) {
      const text = await page.evaluate(() => document.body?.innerText ?? '').catch((e: unknown) => `(unreadable: ${String(e)})`);
      end = `${page.url()}\n${text.slice(0, 3000)}`;
    }
    writeFileSync(join(e2eArtifacts, `${name}.log`), `${events.join('\n')}\n--- at the end ---\n${end}\n`);
  }
}
