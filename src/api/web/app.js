// musicbot dashboard: a small ES module, no dependencies.
//
// Talks to the control API under /api/v1 with `Authorization: Bearer`.
// The token lives in sessionStorage only (this tab); it never goes into a
// URL, the DOM or the console. The live event stream is read with fetch()
// (so the token travels in a header, not in a query string) and parsed as
// Server-Sent Events here.

const API = '/api/v1';
const TOKEN_KEY = 'musicbot.dashboard.token';
const GUILD_KEY = 'musicbot.dashboard.guild';
const PAGE_SIZE = 25;
const MAX_SSE_BUFFER = 1 << 20;      // a line longer than 1 MiB is a broken stream
const STREAM_IDLE_MS = 60_000;       // no byte for this long: reconnect
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state

const state = {
  token: null,
  guilds: [],
  guildId: null,
  session: null,          // normalised session (see normaliseSession)
  page: 0,
  settings: null,         // last settings read from the server
  stream: null,           // AbortController of the running event stream
  anchor: { position: 0, at: 0 },  // position_ms observed at performance.now()
  refreshing: null,       // promise of the running session refresh
  refreshAgain: false,
  focusAfterRender: null, // {pos, control} to focus after the next queue render
  clearTimer: 0,
  live: 'off',            // event stream state: off, connecting, live, reconnecting
  // Queue edits in flight and a counter of finished ones: a session read
  // that overlaps an edit may predate it and must not undo its optimistic
  // display.
  editsInFlight: 0,
  editsDone: 0,
};

// ---------------------------------------------------------------- HTTP

/** An API failure: HTTP status (0 = network), error code, message, details. */
class ApiError extends Error {
  constructor(status, error, message, details, retryAfter) {
    super(message);
    this.status = status;
    this.error = error;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${state.token}`, ...extra };
}

/** Calls the API; resolves with the parsed JSON body (or null), rejects with ApiError. */
async function api(method, path, body) {
  const headers = authHeaders({ Accept: 'application/json' });
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
  init.signal = timeout.signal;
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, timeout.signal.aborted ? 'timeout' : 'network',
      timeout.signal.aborted ? 'The bot did not answer in time.' : 'Cannot reach the bot (network down or bot stopped).');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const retry = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
    throw new ApiError(res.status, data?.error ?? `http_${res.status}`,
      data?.message ?? `${res.status} ${res.statusText}`.trim(), data?.details ?? null,
      Number.isFinite(retry) ? retry : null);
  }
  return data;
}

const guildPath = (suffix = '') => `/guilds/${encodeURIComponent(state.guildId)}${suffix}`;

// ---------------------------------------------------------------- messages

function showError(text) {
  $('error-text').textContent = text;
  $('error-banner').hidden = false;
}

function clearError() {
  $('error-banner').hidden = true;
  $('error-text').textContent = '';
}

let noticeTimer = 0;
function notice(text) {
  const el = $('notice');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

/** A sentence for an API error, by kind. */
function describe(err) {
  if (!(err instanceof ApiError)) return `Unexpected error: ${err?.message ?? err}`;
  switch (err.status) {
    case 0: return err.message;
    case 401: return 'Your token was rejected (wrong, expired or revoked). Sign in again.';
    case 403: return `Not allowed: ${err.message}`;
    case 404: return `Not found: ${err.message}`;
    case 413: return 'That request is too large.';
    case 429: return err.retryAfter != null
      ? `Rate limited: too many requests. Try again in ${err.retryAfter} s.`
      : 'Rate limited: too many requests. Try again shortly.';
    default:
      if (err.status >= 500) return `The bot failed to do that (${err.status}): ${err.message}`;
      return err.message;
  }
}

/** Reports an error of any action; a 401 ends the session. */
function fail(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut(describe(err));
    return;
  }
  showError(describe(err));
}

/** Runs an action with its button disabled; reports failures. */
async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    clearError();
    await fn();
  } catch (e) {
    fail(e);
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------------------------------------------------------------- formatting

function formatTime(ms) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Only http(s) URLs may become links or images. */
function safeUrl(value) {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- normalising API data

function asId(v) {
  return v === undefined || v === null ? '' : String(v);
}

function normaliseTrack(t) {
  if (!t || typeof t !== 'object') return null;
  const info = t.info && typeof t.info === 'object' ? { ...t.info, ...t } : t;
  const length = info.length_ms ?? info.duration_ms ?? info.length ?? 0;
  return {
    title: String(info.title ?? 'Unknown title'),
    author: String(info.author ?? ''),
    length: Number(length) || 0,
    isStream: Boolean(info.is_stream ?? info.isStream ?? false),
    uri: safeUrl(info.uri),
    artwork: safeUrl(info.artwork_url ?? info.artworkUrl),
    source: String(info.source ?? info.source_name ?? ''),
    requester: asId(info.requester_id ?? info.requester),
    position: Number.isInteger(t.position) ? t.position : null,
  };
}

function normaliseSession(s) {
  const q = s.queue ?? s.upcoming ?? [];
  const rawItems = Array.isArray(q) ? q : (q.items ?? q.tracks ?? []);
  const items = rawItems.map(normaliseTrack).filter(Boolean);
  const total = Array.isArray(q) ? (s.queue_length ?? s.total ?? items.length)
    : (q.total ?? q.length ?? q.count ?? items.length);
  const np = normaliseTrack(s.now_playing ?? s.current ?? null);
  return {
    active: s.active !== false,
    nowPlaying: np,
    position: Number(s.position_ms ?? s.now_playing?.position_ms ?? 0) || 0,
    paused: Boolean(s.paused),
    volume: Number.isFinite(Number(s.volume)) ? Number(s.volume) : 100,
    loop: String(s.loop ?? s.loop_mode ?? 'off'),
    autoplay: Boolean(s.autoplay),
    node: s.node == null ? '' : String(typeof s.node === 'object' ? (s.node.name ?? '') : s.node),
    items,
    total: Number(total) || 0,
    page: Number(Array.isArray(q) ? s.page ?? state.page : q.page ?? state.page) || 0,
    size: Number(Array.isArray(q) ? s.size ?? PAGE_SIZE : q.size ?? PAGE_SIZE) || PAGE_SIZE,
  };
}

// ---------------------------------------------------------------- login / logout

function showView(loggedIn) {
  $('login-view').hidden = loggedIn;
  $('dashboard-view').hidden = !loggedIn;
  $('logout').hidden = !loggedIn;
  $('guild-picker').hidden = !loggedIn || state.guilds.length === 0;
}

async function signIn(token) {
  state.token = token;
  const data = await api('GET', '/guilds');
  const list = Array.isArray(data) ? data : (data?.guilds ?? []);
  state.guilds = list.map((g) => (typeof g === 'object' && g !== null
    ? { id: asId(g.id ?? g.guild_id), name: g.name ? String(g.name) : '', playing: Boolean(g.playing) }
    : { id: asId(g), name: '', playing: false })).filter((g) => g.id !== '');
  sessionStorage.setItem(TOKEN_KEY, token);
  renderGuildPicker();
  showView(true);
  if (state.guilds.length === 0) {
    showError('This token cannot control any server.');
    return;
  }
  const remembered = sessionStorage.getItem(GUILD_KEY);
  const pick = state.guilds.find((g) => g.id === remembered) ?? state.guilds[0];
  await selectGuild(pick.id);
}

function signOut(reason) {
  stopStream();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.guilds = [];
  state.guildId = null;
  state.session = null;
  state.settings = null;
  clearError();
  $('token-input').value = '';
  $('login-error').textContent = reason ?? '';
  showView(false);
  setLive('off');
  $('token-input').focus();
}

function renderGuildPicker() {
  const select = $('guild-select');
  select.replaceChildren(...state.guilds.map((g) => {
    const opt = document.createElement('option');
    opt.value = g.id;
    const label = g.name ? `${g.name} (${g.id})` : `Server ${g.id}`;
    opt.textContent = g.playing ? `${label} — playing` : label;
    return opt;
  }));
}

async function selectGuild(id) {
  stopStream();
  state.guildId = id;
  state.page = 0;
  state.session = null;
  sessionStorage.setItem(GUILD_KEY, id);
  $('guild-select').value = id;
  await Promise.all([refreshSession(), loadSettings()]);
  startStream();
}

// ---------------------------------------------------------------- session

/** Fetches the session; concurrent calls coalesce into at most one more fetch. */
function refreshSession() {
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    try {
      do {
        state.refreshAgain = false;
        const guild = state.guildId;
        const editsBefore = state.editsDone;
        const data = await api('GET', guildPath(`/session?page=${state.page}&size=${PAGE_SIZE}`));
        if (guild !== state.guildId) {
          state.refreshAgain = true;          // the guild changed meanwhile: read the new one
          continue;
        }
        if (state.editsInFlight > 0) return;  // the edit refreshes when it is done
        if (editsBefore !== state.editsDone) {
          state.refreshAgain = true;          // maybe read before the edit landed
          continue;
        }
        state.session = normaliseSession(data ?? {});
        setAnchor(state.session.position);
        render();
      } while (state.refreshAgain);
    } catch (e) {
      fail(e);
    } finally {
      state.refreshing = null;
    }
  })();
  return state.refreshing;
}

function setAnchor(position) {
  state.anchor = { position, at: performance.now() };
}

function currentPosition() {
  const s = state.session;
  if (!s || !s.nowPlaying) return 0;
  let pos = state.anchor.position;
  if (!s.paused && state.live === 'live') pos += performance.now() - state.anchor.at;
  if (s.nowPlaying.length > 0 && !s.nowPlaying.isStream) pos = Math.min(pos, s.nowPlaying.length);
  return Math.max(0, pos);
}

function render() {
  renderNowPlaying();
  renderControls();
  renderQueue();
}

let lastTitleKey = null;

function renderNowPlaying() {
  const s = state.session;
  const np = s?.nowPlaying;
  // Touch the live region only when the track changes, so screen readers
  // announce a new track and not every refresh.
  const key = np ? `${np.title}\u0000${np.author}\u0000${np.uri ?? ''}` : `none:${s?.active !== false}`;
  if (key !== lastTitleKey) {
    lastTitleKey = key;
    renderTitle(s, np);
  }
  const meta = [];
  if (np?.source) meta.push(np.source);
  if (np?.requester && np.requester !== '0') meta.push(`requested by ${np.requester}`);
  if (np && np.requester === '0') meta.push('autoplay');
  if (s?.node) meta.push(`node ${s.node}`);
  $('np-meta').textContent = meta.join(' · ');
  const art = $('np-art');
  if (np?.artwork) {
    if (art.getAttribute('src') !== np.artwork) art.src = np.artwork;
    art.hidden = false;
  } else {
    art.hidden = true;
    art.removeAttribute('src');
  }
  const seek = $('seek');
  const length = np && !np.isStream ? np.length : 0;
  seek.max = String(length);
  seek.disabled = !np || length <= 0;
  $('np-duration').textContent = np?.isStream ? 'live' : formatTime(length);
  tick();
}

function renderTitle(s, np) {
  const title = $('np-title');
  title.replaceChildren();
  if (np) {
    if (np.uri) {
      const a = document.createElement('a');
      a.href = np.uri;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = np.title;
      title.append(a);
    } else {
      title.textContent = np.title;
    }
  } else {
    title.textContent = s && !s.active ? 'Not connected to voice' : 'Nothing playing';
  }
  $('np-author').textContent = np?.author ?? '';
}

let seeking = false;
function tick() {
  const s = state.session;
  const pos = currentPosition();
  $('np-elapsed').textContent = formatTime(pos);
  if (!seeking) {
    const seek = $('seek');
    seek.value = String(Math.floor(pos));
    const length = s?.nowPlaying?.length ?? 0;
    seek.setAttribute('aria-valuetext', `${formatTime(pos)} of ${formatTime(length)}`);
  }
}

function renderControls() {
  const s = state.session;
  if (!s) return;
  const pause = $('btn-pause');
  pause.textContent = s.paused ? 'Resume' : 'Pause';
  pause.setAttribute('aria-pressed', String(s.paused));
  pause.disabled = !s.nowPlaying;
  $('btn-skip').disabled = !s.nowPlaying;
  const volume = $('volume');
  if (document.activeElement !== volume) {
    volume.value = String(s.volume);
    $('volume-out').textContent = String(s.volume);
  }
  $('loop').value = ['off', 'track', 'queue'].includes(s.loop) ? s.loop : 'off';
  $('autoplay').checked = s.autoplay;
}

// ---------------------------------------------------------------- queue

function renderQueue() {
  const s = state.session;
  const list = $('queue-list');
  if (!s) { list.replaceChildren(); return; }
  const first = s.page * s.size;
  // Re-rendering replaces the rows: keep the keyboard focus where it was
  // (same position, same control) unless an edit asked for another place.
  const target = state.focusAfterRender ?? focusedQueueControl(list);
  state.focusAfterRender = null;
  const items = s.items.map((t, i) => queueItem(t, t.position ?? first + i, s.total));
  list.replaceChildren(...items);
  if (target) restoreQueueFocus(list, target);
  $('queue-count').textContent = `(${s.total})`;
  $('queue-empty').hidden = s.total > 0;
  const pages = Math.max(1, Math.ceil(s.total / s.size));
  $('page-info').textContent = `Page ${s.page + 1} of ${pages}`;
  $('page-prev').disabled = s.page <= 0;
  $('page-next').disabled = s.page + 1 >= pages;
  $('btn-shuffle').disabled = s.total < 2;
  $('btn-clear').disabled = s.total === 0;
}

const ROW_CONTROLS = ['move-up', 'move-down', 'remove'];

function focusedQueueControl(list) {
  const active = document.activeElement;
  if (!active || !list.contains(active)) return null;
  const li = active.closest('li.queue-item');
  if (!li) return null;
  const control = active === li ? null : ROW_CONTROLS.find((c) => active.classList.contains(c)) ?? null;
  return { pos: Number(li.dataset.pos), control };
}

function restoreQueueFocus(list, { pos, control }) {
  const rows = list.querySelectorAll('li.queue-item');
  if (rows.length === 0) return;
  const li = list.querySelector(`li[data-pos="${pos}"]`) ?? rows[rows.length - 1];
  const button = control ? li.querySelector(`.${control}`) : null;
  (button && !button.disabled ? button : li).focus();
}

function iconButton(label, text, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn btn-icon ${cls}`;
  b.setAttribute('aria-label', label);
  b.title = label;
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

function queueItem(track, pos, total) {
  const li = document.createElement('li');
  li.className = 'queue-item';
  li.draggable = true;
  li.tabIndex = 0;
  li.dataset.pos = String(pos);
  li.setAttribute('aria-label', `${pos + 1}. ${track.title}${track.author ? ` by ${track.author}` : ''}`);

  const handle = document.createElement('span');
  handle.className = 'drag-handle';
  handle.setAttribute('aria-hidden', 'true');
  handle.textContent = '⠿';

  const num = document.createElement('span');
  num.className = 'queue-pos';
  num.textContent = String(pos + 1);

  const text = document.createElement('div');
  text.className = 'queue-text';
  const title = document.createElement('span');
  title.className = 'queue-title';
  title.textContent = track.title;
  title.title = track.title;  // the full title when the row cuts it
  const author = document.createElement('span');
  author.className = 'queue-author muted';
  author.textContent = track.author;
  author.title = track.author;
  text.append(title, author);

  const dur = document.createElement('span');
  dur.className = 'queue-duration muted';
  dur.textContent = track.isStream ? 'live' : formatTime(track.length);

  const up = iconButton(`Move ${track.title} up`, '↑', 'move-up', () => moveTrack(pos, pos - 1, 'move-up'));
  up.disabled = pos === 0;
  const down = iconButton(`Move ${track.title} down`, '↓', 'move-down', () => moveTrack(pos, pos + 1, 'move-down'));
  down.disabled = pos + 1 >= total;
  const remove = iconButton(`Remove ${track.title}`, '✕', 'remove', () => removeTrack(pos, track.title));

  const buttons = document.createElement('div');
  buttons.className = 'queue-buttons';
  buttons.append(up, down, remove);
  li.append(handle, num, text, dur, buttons);
  return li;
}

/** Runs a queue edit; session reads overlapping it are discarded, then one more is made. */
async function queueEdit(fn) {
  state.editsInFlight += 1;
  try {
    clearError();
    await fn();
  } catch (e) {
    fail(e);
  } finally {
    state.editsInFlight -= 1;
    state.editsDone += 1;
  }
  await refreshSession();
}

/** Moves a track; `control` is what to focus afterwards on the moved row
 * ('row', or the class of the button used), or null to leave the focus. */
async function moveTrack(from, to, control) {
  const s = state.session;
  if (!s || from === to || to < 0 || to >= s.total) return;
  if (control) state.focusAfterRender = { pos: to, control: control === 'row' ? null : control };
  // Optimistic: show the new order at once; the server's answer (or the
  // event stream) brings the authoritative order back.
  const first = s.page * s.size;
  const a = from - first;
  const b = to - first;
  if (a >= 0 && a < s.items.length && b >= 0 && b < s.items.length) {
    const [moved] = s.items.splice(a, 1);
    s.items.splice(b, 0, moved);
    for (const t of s.items) t.position = null;
    renderQueue();
  }
  await queueEdit(async () => {
    await api('POST', guildPath('/queue/move'), { from, to });
    $('queue-live').textContent = `Moved track from position ${from + 1} to ${to + 1}.`;
  });
}

async function removeTrack(pos, title) {
  await queueEdit(async () => {
    await api('DELETE', guildPath(`/queue/${pos}`));
    $('queue-live').textContent = `Removed ${title}.`;
    state.focusAfterRender = { pos, control: null };
  });
}

function setupQueueInteractions() {
  const list = $('queue-list');
  let dragFrom = null;

  const clearMarks = () => {
    for (const el of list.querySelectorAll('.drop-before, .drop-after')) {
      el.classList.remove('drop-before', 'drop-after');
    }
  };

  list.addEventListener('dragstart', (ev) => {
    const li = ev.target.closest?.('li.queue-item');
    if (!li) return;
    dragFrom = Number(li.dataset.pos);
    li.classList.add('dragging');
    ev.dataTransfer.effectAllowed = 'move';
    ev.dataTransfer.setData('text/plain', li.dataset.pos);
  });
  list.addEventListener('dragend', (ev) => {
    ev.target.closest?.('li.queue-item')?.classList.remove('dragging');
    clearMarks();
    dragFrom = null;
  });
  list.addEventListener('dragover', (ev) => {
    const li = ev.target.closest?.('li.queue-item');
    if (!li || dragFrom === null) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'move';
    clearMarks();
    const box = li.getBoundingClientRect();
    li.classList.add(ev.clientY < box.top + box.height / 2 ? 'drop-before' : 'drop-after');
  });
  list.addEventListener('dragleave', (ev) => {
    if (!list.contains(ev.relatedTarget)) clearMarks();
  });
  list.addEventListener('drop', (ev) => {
    const li = ev.target.closest?.('li.queue-item');
    if (!li) return;
    ev.preventDefault();
    const raw = ev.dataTransfer.getData('text/plain');
    const from = dragFrom ?? Number.parseInt(raw, 10);
    clearMarks();
    dragFrom = null;
    if (!Number.isInteger(from)) return;
    const target = Number(li.dataset.pos);
    const box = li.getBoundingClientRect();
    const before = ev.clientY < box.top + box.height / 2;
    // Final index of the moved track once it is taken out of `from`.
    let to;
    if (before) to = from < target ? target - 1 : target;
    else to = from < target ? target : target + 1;
    moveTrack(from, to, null);
  });

  list.addEventListener('keydown', (ev) => {
    const li = ev.target;
    if (!(li instanceof HTMLLIElement) || !li.classList.contains('queue-item')) return;
    const pos = Number(li.dataset.pos);
    if (ev.altKey && ev.key === 'ArrowUp') {
      ev.preventDefault();
      moveTrack(pos, pos - 1, 'row');
    } else if (ev.altKey && ev.key === 'ArrowDown') {
      ev.preventDefault();
      moveTrack(pos, pos + 1, 'row');
    } else if (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') {
      ev.preventDefault();
      const next = ev.key === 'ArrowUp' ? li.previousElementSibling : li.nextElementSibling;
      next?.focus();
    } else if (ev.key === 'Delete') {
      ev.preventDefault();
      removeTrack(pos, li.querySelector('.queue-title')?.textContent ?? 'track');
    }
  });

  $('page-prev').addEventListener('click', () => {
    if (state.page > 0) { state.page -= 1; refreshSession(); }
  });
  $('page-next').addEventListener('click', () => { state.page += 1; refreshSession(); });
}

// ---------------------------------------------------------------- controls

function setupControls() {
  $('btn-pause').addEventListener('click', (ev) => act(ev.currentTarget, async () => {
    const resume = state.session?.paused;
    await api('POST', guildPath(resume ? '/resume' : '/pause'));
    if (state.session) {
      state.session.paused = !resume;
      setAnchor(currentPosition());
      renderControls();
    }
  }));
  $('btn-skip').addEventListener('click', (ev) => act(ev.currentTarget, async () => {
    await api('POST', guildPath('/skip'));
    await refreshSession();
  }));
  $('btn-shuffle').addEventListener('click', (ev) => act(ev.currentTarget, async () => {
    await api('POST', guildPath('/shuffle'));
    notice('Queue shuffled.');
    await refreshSession();
  }));
  $('btn-clear').addEventListener('click', () => {
    $('btn-clear').hidden = true;
    $('btn-clear-confirm').hidden = false;
    $('btn-clear-confirm').focus();
    clearTimeout(state.clearTimer);
    state.clearTimer = setTimeout(resetClear, 5000);
  });
  $('btn-clear-confirm').addEventListener('click', (ev) => act(ev.currentTarget, async () => {
    resetClear();
    await api('DELETE', guildPath('/queue'));
    notice('Queue cleared.');
    await refreshSession();
  }));

  const seek = $('seek');
  seek.addEventListener('input', () => {
    seeking = true;
    $('np-elapsed').textContent = formatTime(Number(seek.value));
  });
  seek.addEventListener('change', () => act(null, async () => {
    const target = Number(seek.value);
    try {
      await api('POST', guildPath('/seek'), { position_ms: Math.round(target) });
      setAnchor(target);
    } finally {
      seeking = false;
      tick();
    }
  }));

  const volume = $('volume');
  volume.addEventListener('input', () => { $('volume-out').textContent = volume.value; });
  volume.addEventListener('change', () => act(null, async () => {
    try {
      await api('POST', guildPath('/volume'), { volume: Number(volume.value) });
      if (state.session) state.session.volume = Number(volume.value);
    } finally {
      renderControls();
    }
  }));

  $('loop').addEventListener('change', (ev) => act(null, async () => {
    try {
      await api('POST', guildPath('/loop'), { mode: ev.target.value });
      if (state.session) state.session.loop = ev.target.value;
    } finally {
      renderControls();
    }
  }));
  $('autoplay').addEventListener('change', (ev) => act(null, async () => {
    try {
      await api('POST', guildPath('/autoplay'), { enabled: ev.target.checked });
      if (state.session) state.session.autoplay = ev.target.checked;
    } finally {
      renderControls();
    }
  }));

  $('enqueue-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('enqueue-query');
    const query = input.value.trim();
    const err = $('enqueue-error');
    err.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!query) {
      err.textContent = 'Type a search or paste a link.';
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    act(ev.submitter ?? null, async () => {
      try {
        const res = await api('POST', guildPath('/queue'), { query });
        input.value = '';
        const added = res?.track?.title ?? res?.title ?? (Array.isArray(res?.tracks) ? `${res.tracks.length} tracks` : null);
        notice(added ? `Added ${added}.` : 'Added to the queue.');
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) {
          err.textContent = fieldMessages(e.details).map((d) => d.message).join(' ') || e.message;
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        throw e;
      }
      await refreshSession();
    });
  });
}

function resetClear() {
  clearTimeout(state.clearTimer);
  $('btn-clear').hidden = false;
  $('btn-clear-confirm').hidden = true;
}

// ---------------------------------------------------------------- settings

const SETTINGS_FIELDS = {
  volume: { id: 'set-volume', kind: 'int' },
  loop: { id: 'set-loop', kind: 'enum' },
  max_queue_length: { id: 'set-max-queue', kind: 'int' },
  max_per_user: { id: 'set-max-user', kind: 'int' },
  dj_role_id: { id: 'set-dj', kind: 'id' },
  announce_channel_id: { id: 'set-announce', kind: 'id' },
  autoplay: { id: 'set-autoplay', kind: 'bool' },
  automix: { id: 'set-automix', kind: 'bool' },
};

async function loadSettings() {
  try {
    const data = await api('GET', guildPath('/settings'));
    state.settings = data?.settings ?? data ?? {};
    fillSettings();
  } catch (e) {
    fail(e);
  }
}

function fillSettings() {
  const s = state.settings ?? {};
  for (const [name, f] of Object.entries(SETTINGS_FIELDS)) {
    const el = $(f.id);
    if (f.kind === 'bool') el.checked = Boolean(s[name]);
    else el.value = s[name] == null ? '' : String(s[name]);
  }
  clearFieldErrors();
}

function clearFieldErrors() {
  for (const p of $('settings-form').querySelectorAll('.field-error')) p.textContent = '';
  for (const f of Object.values(SETTINGS_FIELDS)) $(f.id).removeAttribute('aria-invalid');
}

/** API details as a list of {field, message}, whatever shape they came in. */
function fieldMessages(details) {
  if (!details) return [];
  if (Array.isArray(details)) {
    return details.map((d) => (typeof d === 'string'
      ? { field: 'body', message: d }
      : { field: String(d.field ?? 'body'), message: String(d.message ?? d.error ?? 'invalid') }));
  }
  if (typeof details === 'object') {
    return Object.entries(details).map(([field, message]) => ({ field, message: String(message) }));
  }
  return [{ field: 'body', message: String(details) }];
}

/** The fields that differ from the last settings read, as a PATCH body. */
function settingsPatch() {
  const s = state.settings ?? {};
  const patch = {};
  for (const [name, f] of Object.entries(SETTINGS_FIELDS)) {
    const el = $(f.id);
    let value;
    if (f.kind === 'bool') {
      value = el.checked;
    } else if (f.kind === 'enum') {
      value = el.value;
    } else if (f.kind === 'int') {
      const raw = el.value.trim();
      // Send what was typed; the API explains what is wrong with it.
      value = raw === '' ? null : (/^-?\d+$/.test(raw) ? Number(raw) : raw);
    } else {
      const raw = el.value.trim();
      value = raw === '' ? null : raw;
    }
    const old = s[name] == null ? null : (f.kind === 'id' ? String(s[name]) : s[name]);
    if (value !== old) patch[name] = value;
  }
  return patch;
}

function setupSettings() {
  const form = $('settings-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors();
    const patch = settingsPatch();
    if (Object.keys(patch).length === 0) {
      $('settings-status').textContent = 'Nothing changed.';
      return;
    }
    $('settings-status').textContent = 'Saving…';
    act(ev.submitter ?? null, async () => {
      try {
        const data = await api('PATCH', guildPath('/settings'), patch);
        state.settings = data?.settings ?? data ?? { ...state.settings, ...patch };
        fillSettings();
        $('settings-status').textContent = 'Saved.';
      } catch (e) {
        $('settings-status').textContent = '';
        if (e instanceof ApiError && (e.status === 400 || e.status === 409)) {
          showFieldErrors(e);
          return;
        }
        throw e;
      }
    });
  });
  $('settings-reset').addEventListener('click', () => {
    fillSettings();
    $('settings-status').textContent = '';
  });
}

function showFieldErrors(e) {
  const list = fieldMessages(e.details);
  if (list.length === 0) list.push({ field: 'body', message: e.message });
  let firstInvalid = null;
  for (const { field, message } of list) {
    const p = $('settings-form').querySelector(`.field-error[data-field="${CSS.escape(field)}"]`)
      ?? $('err-body');
    p.textContent = p.textContent ? `${p.textContent} ${message}` : message;
    const f = SETTINGS_FIELDS[field];
    if (f) {
      $(f.id).setAttribute('aria-invalid', 'true');
      firstInvalid ??= $(f.id);
    }
  }
  $('settings-status').textContent = 'Not saved: fix the fields marked below.';
  firstInvalid?.focus();
}

// ---------------------------------------------------------------- live events (SSE over fetch)

function setLive(mode) {
  // Without the stream the position is not known: freeze the bar where it is.
  if (state.live === 'live' && mode !== 'live') setAnchor(currentPosition());
  state.live = mode;
  const el = $('live-status');
  el.dataset.state = mode;
  el.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', off: 'Offline' }[mode] ?? mode;
}

function stopStream() {
  state.stream?.abort();
  state.stream = null;
}

function startStream() {
  stopStream();
  const controller = new AbortController();
  state.stream = controller;
  runStream(state.guildId, controller).catch(() => {});
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

async function runStream(guildId, controller) {
  const { signal } = controller;
  let backoff = BACKOFF_MIN_MS;
  let lastEventId = '';
  setLive('connecting');
  while (!signal.aborted) {
    // One attempt gets its own controller so the idle watchdog can end it.
    const attempt = new AbortController();
    const onAbort = () => attempt.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let idle = 0;
    const arm = () => { clearTimeout(idle); idle = setTimeout(() => attempt.abort(), STREAM_IDLE_MS); };
    try {
      arm();
      const headers = authHeaders({ Accept: 'text/event-stream' });
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const res = await fetch(`${API}/guilds/${encodeURIComponent(guildId)}/events`,
        { headers, cache: 'no-store', credentials: 'omit', signal: attempt.signal });
      if (res.status === 401) {
        signOut('Your token was rejected (wrong, expired or revoked). Sign in again.');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
      setAnchor(currentPosition());
      setLive('live');
      backoff = BACKOFF_MIN_MS;
      // the server's first event is a `session` snapshot, which refreshes
      // the page, so nothing missed while disconnected stays stale
      await readEventStream(res.body, attempt.signal, arm, (ev) => {
        if (ev.id !== null) lastEventId = ev.id;
        if (ev.retry !== null) backoff = Math.min(Math.max(ev.retry, BACKOFF_MIN_MS), BACKOFF_MAX_MS);
        handleEvent(ev);
      });
    } catch {
      // network error, watchdog or abort: fall through to the retry
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) return;
    setLive('reconnecting');
    await sleep(backoff + Math.floor(Math.random() * 500), signal);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }
}

/**
 * Reads a text/event-stream body and calls onEvent({type, data, id, retry})
 * per dispatched event (the WHATWG SSE parsing rules: CR, LF or CRLF line
 * ends, comments, `field: value` with one optional space, data lines joined
 * with LF, `retry` only when all digits, events without data not dispatched).
 */
async function readEventStream(body, signal, onBytes, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let type = '';
  let data = [];
  let id = null;
  let retry = null;
  let first = true;
  const abort = () => reader.cancel().catch(() => {});
  signal.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onBytes();
      buffer += decoder.decode(value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      let start = 0;
      for (;;) {
        let end = -1;
        let next = -1;
        for (let i = start; i < buffer.length; i += 1) {
          const c = buffer.charCodeAt(i);
          if (c === 10) { end = i; next = i + 1; break; }
          if (c === 13) {
            if (i + 1 === buffer.length) break;  // wait: maybe CRLF split across chunks
            end = i;
            next = buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
            break;
          }
        }
        if (end < 0) break;
        const line = buffer.slice(start, end);
        start = next;
        if (line === '') {
          if (data.length > 0) {
            onEvent({ type: type || 'message', data: data.join('\n'), id, retry });
          }
          type = '';
          data = [];
          retry = null;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') type = val;
        else if (field === 'data') data.push(val);
        else if (field === 'id') { if (!val.includes('\0')) id = val; }
        else if (field === 'retry') { if (/^\d+$/.test(val)) retry = Number(val); }
      }
      buffer = buffer.slice(start);
      if (buffer.length > MAX_SSE_BUFFER || data.reduce((n, d) => n + d.length, 0) > MAX_SSE_BUFFER) {
        throw new Error('event stream: event too large');
      }
    }
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function parseData(ev) {
  try { return JSON.parse(ev.data); } catch { return null; }
}

function handleEvent(ev) {
  const data = parseData(ev);
  const s = state.session;
  switch (ev.type) {
    case 'position': {
      const pos = Number(data?.position_ms ?? data?.position);
      if (Number.isFinite(pos)) {
        setAnchor(pos);
        if (s && typeof data?.paused === 'boolean' && data.paused !== s.paused) {
          s.paused = data.paused;
          renderControls();
        }
        tick();
      }
      break;
    }
    case 'paused':
    case 'resumed':
      if (s) {
        setAnchor(currentPosition());
        s.paused = ev.type === 'paused';
        if (Number.isFinite(Number(data?.position_ms))) setAnchor(Number(data.position_ms));
        renderControls();
        tick();
      }
      break;
    case 'player_moved': {
      const node = data?.to ?? data?.node ?? data?.new_node;
      notice(node ? `Player moved to node ${node}.` : 'Player moved to another node.');
      refreshSession();
      break;
    }
    case 'session':          // snapshot sent first on every (re)connect
    case 'now_playing':
    case 'queue_changed':
    case 'stopped':
    case 'session_ended':
      refreshSession();
      break;
    case 'end':              // the server ends the stream (shutdown, too slow a reader)
      if (data?.reason === 'lagging') notice('Live updates fell behind; reconnecting.');
      break;
    default:
      break;  // unknown events are ignored
  }
}

// ---------------------------------------------------------------- start

function setup() {
  setupControls();
  setupQueueInteractions();
  setupSettings();

  $('error-dismiss').addEventListener('click', clearError);
  $('logout').addEventListener('click', () => signOut('Signed out.'));
  $('guild-select').addEventListener('change', (ev) => {
    clearError();
    selectGuild(ev.target.value).catch(fail);
  });

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('token-input');
    const token = input.value.trim();
    const err = $('login-error');
    err.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!token) {
      err.textContent = 'Paste your token first.';
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    const button = $('login-submit');
    button.disabled = true;
    try {
      await signIn(token);
      input.value = '';
    } catch (e) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      showView(false);
      err.textContent = e instanceof ApiError && e.status === 401
        ? 'That token was not accepted: it is wrong, expired or revoked.'
        : describe(e);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
    }
  });

  setInterval(tick, 250);

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    signIn(saved).catch((e) => {
      if (e instanceof ApiError && e.status === 401) signOut(describe(e));
      else { showView(false); $('login-error').textContent = describe(e); }
    });
  } else {
    showView(false);
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
else setup();

// For the browser test (tests/browser), which feeds the parser edge cases.
export { readEventStream };
