import { createContext, useContext } from 'react';
import { Api, ApiError } from './api.js';
import { AuthSession, type TokenStorage } from './auth/session.js';
import { IdentityStore } from './auth/identity.js';
import { LiveClient, browserYield, liveUrl } from './live.js';
import { DeviceStore, nextFrame } from './state/devices.js';
import { ProfileStore } from './state/profiles.js';
import { AlarmStore, ToastQueue } from './state/alarms.js';
import { EarlyWindow, askLiveWindow } from './state/live-window.js';
import { LIVE_WINDOW_MS } from './state/timeline.js';
import type { LiveAlarm, LiveToast } from '../../src/model/live.js';

/** How recent the start's device list must be for the page it was asked on to take it (ms). */
const RECENT_LIST_MS = 5_000;

/** The pointer counts as moving over the page this long after its last move (ms). */
const POINTER_REST_MS = 2000;

/** What every screen talks to, made once per page load and handed down by context. */
export interface Services {
  api: Api;
  session: AuthSession;
  identity: IdentityStore;
  /**
   * Resumes a stored sign-in, asks who we are, and starts the live feed once we may look. Opened on
   * a device's page (`device`), also asks for that device's live window once the device list shows it.
   */
  boot(opened?: { device?: string }): Promise<void>;
  /** The live window asked for at boot, for the device page's chart (taken once). */
  earlyWindow: EarlyWindow;
  /** Asks the server who we are now (after signing in or out). */
  loadIdentity(): Promise<void>;
  live: LiveClient;
  devices: DeviceStore;
  profiles: ProfileStore;
  alarms: AlarmStore;
  toasts: ToastQueue;
  /** Fetches the open alarms and folds them into the store. */
  refreshAlarms(): Promise<void>;
  /**
   * Fetches the device list and folds it into the store (callers at the same time share one request;
   * a new sign-in asks afresh). `pageOpening`: the page of the route the start's list was asked on,
   * opening within RECENT_LIST_MS of its answer, takes that list (once) instead of asking again.
   */
  refreshDevices(o?: { pageOpening?: boolean }): Promise<void>;
  /**
   * Makes sure a profile is loaded (fetching it once if a device names one we lack); settles when
   * it is, or when it could not be (never rejects).
   */
  ensureProfile(name: string | null | undefined): Promise<void>;
}

export function createServices(loc: { protocol: string; host: string } = window.location): Services {
  const session = new AuthSession({ fetch: (...a) => fetch(...a), storage: sessionStore() });
  const identity = new IdentityStore();
  const api = new Api('', (input, init) => session.fetch(String(input), init));
  // frames=batch: each server turn's messages as one WebSocket message (docs/api.md): a fleet's
  // thousands of readings a second arrive as a few hundred messages, not thousands.
  // stats=named: live analytics only for devices a page subscribed to by id (the device page), not
  // for every device of the fleet view's '*' (about 0.5 KB per device per second it never shows).
  const wsBase = `${liveUrl(loc)}?frames=batch&stats=named`;
  // Browsers cannot set headers on a WebSocket: the token rides in the query (the server allows it only there).
  const live = new LiveClient({
    url: () => {
      const t = session.accessToken();
      return t ? `${wsBase}&access_token=${encodeURIComponent(t)}` : wsBase;
    },
    // One commit of a 5,000-device fleet is one batch: handed on in slices of 4 ms so the page
    // still draws its frames while it is applied (one long task per commit before).
    sliceMs: 4,
    yieldTask: browserYield(),
  });
  // Live readings of a large fleet arrive thousands a second: views hear of them once per frame.
  const devices = new DeviceStore(nextFrame);
  const profiles = new ProfileStore();
  const alarms = new AlarmStore();
  const toasts = new ToastQueue();
  const earlyWindow = new EarlyWindow();
  const asked = new Map<string, Promise<void>>();
  // Every profile, asked for once we may look: a device's profile is usually in it, no request of its own.
  let listing: Promise<void> | null = null;

  const ensureProfile = (name: string | null | undefined): Promise<void> => {
    if (!name || profiles.has(name)) return Promise.resolve();
    let loading = asked.get(name);
    if (!loading) {
      loading = (async () => {
        await listing;
        if (profiles.has(name)) return;
        profiles.set([await api.getProfile(name)]);
      })().catch(() => {
        // Let a later sighting try again.
        setTimeout(() => asked.delete(name), 30_000);
      });
      asked.set(name, loading);
    }
    return loading;
  };

  let devicesLoading: Promise<void> | null = null;
  /** Which list request is the store's: a new sign-in makes the one on its way the caller before's. */
  let devicesAsk = 0;
  /**
   * The list the start (or a sign-in) asked for, when it answered, and the route it was asked on:
   * the page of that route, opening just after, takes it instead of asking again (once).
   */
  let startList: { hash: string; at: number } | null = null;
  const loadDevices = (start: boolean): Promise<void> => {
    const ask = ++devicesAsk;
    const hash = window.location.hash;
    devicesLoading = (async () => {
      try {
        const list = await api.listDevices();
        // What the caller before may see is not the store's: its waiters wait for the new caller's list.
        if (ask !== devicesAsk) return await (devicesLoading ?? undefined);
        devices.upsert(list);
        startList = start ? { hash, at: performance.now() } : null;
        for (const d of list) void ensureProfile(d.profile);
      } finally {
        if (ask === devicesAsk) devicesLoading = null;
      }
    })();
    return devicesLoading;
  };
  const refreshDevices = (o?: { pageOpening?: boolean }): Promise<void> => {
    if (devicesLoading) return devicesLoading;
    const s = startList;
    if (o?.pageOpening && s && s.hash === window.location.hash && performance.now() - s.at <= RECENT_LIST_MS) {
      startList = null;
      return Promise.resolve();
    }
    return loadDevices(false);
  };

  const refreshAlarms = async () => {
    const open = await api.alarmList('status=open&limit=2000');
    // With the store down the list holds only system alarms: not a snapshot that closes the others.
    if (open.storeUnavailable) alarms.upsert(open.alarms);
    else alarms.setOpen(open.alarms);
  };

  live.onMessage((m) => {
    if (m.type === 'alarm') {
      const a = (m as LiveAlarm).alarm;
      if (a && typeof a.id === 'number') alarms.upsert([a]);
      return;
    }
    if (m.type === 'toast') {
      // Toasts reach every client (alarm messages only those subscribed to the device): they
      // carry the alarm too, so open counts stay right on any page.
      const t = m as LiveToast;
      const notices = Array.isArray(t.notices) ? t.notices : [];
      alarms.upsert(notices.flatMap((n) => (n.alarm ? [n.alarm] : [])));
      const first = notices[0]?.alarm ?? null;
      toasts.push({
        severity: t.severity,
        event: notices.length === 1 ? String(notices[0].event ?? '') || null : null,
        title: String(t.title ?? 'alarm'),
        text: notices
          .map((n) => n.text)
          .filter((x) => x && x !== t.title)
          .join('\n'),
        alarmId: notices.length === 1 && first ? first.id : null,
        device: first?.device ?? null,
        at: Date.now(),
      });
      return;
    }
    if (devices.apply(m, live.serverNow()) && m.type === 'device') ensureProfile((m as { profile?: string | null }).profile);
  });
  // After a reconnect we may have missed device changes and alarms: take fresh snapshots.
  live.onOpen((reconnect) => {
    if (reconnect) {
      refreshDevices().catch(() => {});
      refreshAlarms().catch(() => {});
    }
  });
  // A refused upgrade may be an access token that just expired: rotate it before the retry.
  live.onOpenFailed(() => {
    if (session.signedIn) session.ensureFresh().catch(() => {});
  });
  // A toast leaving by itself moves the page under it: not while the pointer is moving over the page (ToastQueue.expire).
  let pointerAt = -Infinity;
  if (typeof window !== 'undefined') window.addEventListener('pointermove', () => (pointerAt = Date.now()), { passive: true });
  setInterval(() => {
    const now = Date.now();
    toasts.expire(now, now - pointerAt < POINTER_REST_MS);
  }, 1000);

  const startData = () => {
    if (identity.state.status !== 'ready') {
      live.stop();
      return;
    }
    // A new caller: a fresh socket with the new token (subscriptions are kept across).
    live.stop();
    live.start();
  };

  /** What every screen starts from, asked for as soon as we may look. */
  const askForData = () => {
    listing = api.listProfiles().then(
      (list) => profiles.set(list),
      () => {},
    );
    // A list still on its way was asked for by the caller before (what it may see is not what this one may).
    loadDevices(true).catch(() => {});
    refreshAlarms().catch(() => {});
  };

  const loadIdentity = async () => {
    let me: Awaited<ReturnType<Api['me']>>;
    try {
      me = await api.me();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) identity.set({ status: 'login-required' });
      else identity.set({ status: 'error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    // Before the screens hear who we are: they render at once (a page's first render took ~70 ms
    // here), and find the data on its way instead of asking for it after.
    askForData();
    identity.set({ status: 'ready', identity: me }, null);
  };

  session.onChange((ended) => {
    if (ended === undefined && identity.state.status === 'ready' && identity.identity?.user?.id === session.user?.id) return; // a rotation
    if (ended === 'expired') identity.notice = 'Your sign-in has ended; sign in again.';
    if (ended) {
      // What this user could see is not necessarily what the next caller may.
      alarms.setOpen([]);
    }
    loadIdentity().then(startData);
  });

  const boot = async (opened: { device?: string } = {}) => {
    if (session.canResume) await session.resume().catch(() => false);
    await loadIdentity();
    startData();
    const id = opened.device;
    // Only for a device the list shows: the page of an unknown id fires no request that fails.
    if (id && identity.state.status === 'ready' && devicesLoading)
      void devicesLoading.then(
        () => {
          if (devices.get(id)) earlyWindow.hold(id, LIVE_WINDOW_MS, askLiveWindow(api, id, live.serverNow(), LIVE_WINDOW_MS));
        },
        () => {},
      );
  };

  return { api, session, identity, boot, earlyWindow, loadIdentity, live, devices, profiles, alarms, toasts, refreshAlarms, refreshDevices, ensureProfile };
}

function sessionStore(): TokenStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <ServicesContext.Provider>');
  return s;
}
