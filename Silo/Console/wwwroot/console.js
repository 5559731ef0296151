// OrleansMq console: a small single-page app over the broker's JSON API (/api/...).
// Safety rule: user data (topic names, message bodies, properties, errors) only ever reaches the page through
// textContent or attribute values set with setAttribute; nothing is parsed as HTML (the CSP forbids inline script too).
'use strict';

(function () {
  const REFRESH_MS = 2000;
  const view = document.getElementById('view');
  const errorBox = document.getElementById('error');
  const live = document.getElementById('live');
  const updated = document.getElementById('updated');
  const servedBy = document.getElementById('served-by');
  let current = null; // { refresh: async () => void }
  let timer = null;
  let generation = 0;

  // ---- DOM helpers -------------------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'on') { for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler); }
      else if (name === 'class') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }
  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function replace(node, ...children) { node.replaceChildren(); return append(node, children); }
  const svgNs = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const node = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  }
  function table(columns, rows, rowAttrs) {
    return el('table', {},
      el('thead', {}, el('tr', {}, columns.map(c => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)))),
      el('tbody', {}, rows.length === 0
        ? el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, 'None.'))
        : rows.map(r => el('tr', rowAttrs ? rowAttrs(r) : {}, columns.map(c => el('td', { class: c.num ? 'num' : (c.cls || null) }, c.value(r)))))));
  }
  function link(hash, text) { return el('a', { href: '#' + hash }, text); }
  function badge(text, kind) { return el('span', { class: 'badge ' + kind }, text); }

  // ---- Formatting --------------------------------------------------------------------------------------------------
  function fmtNumber(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
  function fmtRate(n) { return n === null || n === undefined ? '–' : (n >= 100 ? n.toFixed(0) : n.toFixed(1)); }
  function fmtBytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0; let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }
  function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  function fmtAge(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 60) return seconds.toFixed(1) + ' s';
    if (seconds < 3600) return (seconds / 60).toFixed(1) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  // ---- API -----------------------------------------------------------------------------------------------------------
  async function api(path, options) {
    const init = Object.assign({ headers: { 'Accept': 'application/json' } }, options || {});
    if (init.json !== undefined) {
      init.body = JSON.stringify(init.json);
      init.headers['Content-Type'] = 'application/json';
      delete init.json;
    }
    let response;
    try {
      response = await fetch('/api' + path, init);
    } catch (e) {
      throw new Error('The broker did not answer (' + e.message + ').');
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      throw new Error((body && body.error) || ('HTTP ' + response.status + ' ' + response.statusText));
    }
    return body;
  }
  // Errors of a user's action stay until the next action; errors of a background refresh go with the next good one.
  function showError(message, sticky) {
    if (message) { errorBox.textContent = message; errorBox.hidden = false; errorBox.dataset.sticky = sticky ? '1' : ''; }
    else { errorBox.textContent = ''; errorBox.hidden = true; errorBox.dataset.sticky = ''; }
  }
  function q(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') search.set(k, v);
    return '?' + search.toString();
  }

  // ---- Charts (inline SVG, no library) -------------------------------------------------------------------------------
  function lineChart(title, series, format) {
    const width = 800, height = 180, left = 56, right = 10, top = 10, bottom = 24;
    const all = series.flatMap(s => s.points);
    const first = series.length > 0 ? series[0].points : [];
    const box = el('figure', { class: 'chart', 'data-testid': 'chart', 'data-last': first.length ? first[first.length - 1].v : null });
    const legend = el('figcaption', { class: 'legend' }, el('strong', {}, title),
      series.map(s => el('span', {}, el('span', { class: 'swatch ' + s.cls }), s.name)));
    const graphic = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
    const titleNode = svg('title', {}); titleNode.textContent = title; graphic.appendChild(titleNode);
    if (all.length < 2) {
      const t = svg('text', { x: left, y: height / 2 }); t.textContent = 'Collecting samples…'; graphic.appendChild(t);
      append(box, [legend, graphic]);
      return box;
    }
    const times = all.map(p => Date.parse(p.t));
    const t0 = Math.min(...times), t1 = Math.max(...times);
    const vmax = Math.max(1, ...all.map(p => p.v));
    const x = t => left + (t1 === t0 ? 0 : (t - t0) / (t1 - t0)) * (width - left - right);
    const y = v => top + (1 - v / vmax) * (height - top - bottom);
    graphic.appendChild(svg('line', { class: 'axis', x1: left, y1: y(0), x2: width - right, y2: y(0) }));
    graphic.appendChild(svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: y(0) }));
    for (const [v, yy] of [[vmax, top + 10], [0, y(0)]]) {
      const label = svg('text', { x: 4, y: yy }); label.textContent = format(v); graphic.appendChild(label);
    }
    const start = svg('text', { x: left, y: height - 6 }); start.textContent = new Date(t0).toISOString().substring(11, 19); graphic.appendChild(start);
    const end = svg('text', { x: width - right - 60, y: height - 6 }); end.textContent = new Date(t1).toISOString().substring(11, 19); graphic.appendChild(end);
    for (const s of series) {
      const points = s.points.map(p => `${x(Date.parse(p.t)).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      graphic.appendChild(svg('polyline', { class: s.cls, points: points, 'data-series': s.name }));
    }
    append(box, [legend, graphic]);
    return box;
  }

  // ---- Pages ---------------------------------------------------------------------------------------------------------
  const pages = {
    cluster() {
      const data = el('div');
      replace(view, el('h2', {}, 'Cluster'), data);
      return async () => {
        const c = await api('/cluster');
        servedBy.textContent = 'served by ' + c.servedBy;
        const alive = c.brokers.filter(b => b.alive).length;
        const rateIn = c.brokers.reduce((s, b) => s + (b.rates ? b.rates.messagesIn : 0), 0);
        const rateOut = c.brokers.reduce((s, b) => s + (b.rates ? b.rates.messagesOut : 0), 0);
        const haveRates = c.brokers.some(b => b.rates);
        replace(data,
          el('div', { class: 'cards' },
            card('Brokers alive', `${alive} / ${c.brokers.length}`, 'brokers-alive'),
            card('Messages/s in', haveRates ? fmtRate(rateIn) : '–', 'rate-in'),
            card('Messages/s out', haveRates ? fmtRate(rateOut) : '–', 'rate-out')),
          lineChart('Messages per second', [
            { name: 'in', cls: 'series-in', points: c.history.map(p => ({ t: p.at, v: p.in })) },
            { name: 'out', cls: 'series-out', points: c.history.map(p => ({ t: p.at, v: p.out })) }], fmtRate),
          el('h3', {}, 'Brokers'),
          table([
            { title: 'Broker', value: b => b.name },
            { title: 'Status', value: b => b.alive ? badge('alive', 'ok') : badge('dead', 'bad') },
            { title: 'Silo', cls: 'mono', value: b => b.silo },
            { title: 'Disk used', value: b => b.stats ? diskBar(b.stats) : '–' },
            { title: 'Free', num: true, value: b => b.stats ? fmtBytes(b.stats.diskFreeBytes) : '–' },
            { title: 'Watermark', num: true, value: b => b.stats ? fmtBytes(b.stats.minFreeDiskBytes) : '–' },
            { title: 'Store', num: true, value: b => b.stats ? fmtBytes(b.stats.storeBytes) : '–' },
            { title: 'Queues', num: true, value: b => b.stats ? fmtNumber(b.stats.queueCount) : '–' },
            { title: 'Timers', num: true, value: b => b.stats ? fmtNumber(b.stats.pendingTimers) : '–' },
            { title: 'In/s', num: true, value: b => b.rates ? fmtRate(b.rates.messagesIn) : '–' },
            { title: 'Out/s', num: true, value: b => b.rates ? fmtRate(b.rates.messagesOut) : '–' },
            { title: 'Flush', value: b => b.stats ? b.stats.flushPolicy : '–' },
            { title: 'Note', value: b => b.error ? el('span', { class: 'muted' }, b.error) : (b.stats && b.stats.diskFull ? badge('disk full', 'bad') : '') },
          ], c.brokers, b => ({ 'data-testid': 'broker-row', 'data-broker': b.name })));
      };
    },

    topics() {
      const data = el('div');
      const showSystem = el('input', { type: 'checkbox', id: 'show-system' });
      const form = el('form', { class: 'inline', 'aria-label': 'Create a topic' },
        el('label', {}, 'Topic', el('input', { name: 'name', required: true, maxlength: 127, pattern: '[A-Za-z0-9_\\-]+', 'data-testid': 'create-topic-name' })),
        el('label', {}, 'Queues', el('input', { name: 'queueCount', type: 'number', min: 1, max: 1024, value: 8 })),
        el('label', {}, 'Permission', permissionSelect('ReadWrite')),
        el('button', { type: 'submit' }, 'Create topic'));
      form.addEventListener('submit', async e => {
        e.preventDefault();
        const f = new FormData(form);
        try {
          const created = await api('/topics', { method: 'POST', json: { name: f.get('name'), queueCount: Number(f.get('queueCount')), permission: f.get('permission') } });
          showError(null);
          location.hash = 'topic=' + encodeURIComponent(created.name);
        } catch (err) { showError(err.message, true); }
      });
      showSystem.addEventListener('change', () => refreshNow());
      replace(view, el('h2', {}, 'Topics'), form, el('label', {}, showSystem, ' Show system topics (%RETRY%, %DLQ%, RMQ_SYS_)'), data);
      return async () => {
        const t = await api('/topics');
        const topics = t.topics.filter(x => showSystem.checked || !x.system);
        replace(data, table([
          { title: 'Topic', value: x => link('topic=' + encodeURIComponent(x.name), x.name) },
          { title: 'Queues', num: true, value: x => fmtNumber(x.queueCount) },
          { title: 'Permission', value: x => x.permission },
          { title: 'Brokers', value: x => x.brokers.join(', ') },
          { title: 'In/s', num: true, value: x => x.rates ? fmtRate(x.rates.messagesIn) : '–' },
          { title: 'Out/s', num: true, value: x => x.rates ? fmtRate(x.rates.messagesOut) : '–' },
        ], topics, x => ({ 'data-testid': 'topic-row', 'data-topic': x.name })));
      };
    },

    topic(name) {
      const data = el('div');
      const count = el('input', { name: 'queueCount', type: 'number', min: 1, max: 1024, 'data-testid': 'update-queue-count' });
      const permission = permissionSelect('ReadWrite');
      const form = el('form', { class: 'inline', 'aria-label': 'Update the topic' },
        el('label', {}, 'Queues (grow only)', count), el('label', {}, 'Permission', permission), el('button', { type: 'submit' }, 'Update topic'));
      let loaded = false;
      form.addEventListener('submit', async e => {
        e.preventDefault();
        try {
          await api('/topics', { method: 'PUT', json: { name: name, queueCount: Number(count.value), permission: permission.value } });
          showError(null);
          loaded = false;
          refreshNow();
        } catch (err) { showError(err.message, true); }
      });
      const browse = link('messages=' + encodeURIComponent(name), 'Browse its messages of the last hour');
      replace(view, el('h2', {}, 'Topic ', el('span', { class: 'mono' }, name)), form, el('p', {}, browse), data);
      return async () => {
        const t = await api('/topic' + q({ name: name }));
        if (!loaded) { count.value = t.queues.length; permission.value = t.permission; loaded = true; }
        replace(data,
          el('div', { class: 'cards' },
            card('Queues', fmtNumber(t.queues.length)), card('Permission', t.permission), card('Route version', fmtNumber(t.version)),
            card('In/s', t.rates ? fmtRate(t.rates.messagesIn) : '–'), card('Out/s', t.rates ? fmtRate(t.rates.messagesOut) : '–')),
          el('h3', {}, 'Queues'),
          table([
            { title: 'Queue', num: true, value: x => x.queueId },
            { title: 'Broker', value: x => x.broker },
            { title: 'Min offset', num: true, value: x => fmtNumber(x.minOffset) },
            { title: 'Max offset', num: true, value: x => fmtNumber(x.maxOffset) },
            { title: 'Messages', num: true, value: x => fmtNumber(x.messages) },
          ], t.queues, x => ({ 'data-testid': 'queue-row' })),
          el('h3', {}, 'Consumer groups'),
          table([
            { title: 'Group', value: g => link('group=' + encodeURIComponent(g.group), g.group) },
            { title: 'Lag', num: true, value: g => fmtNumber(g.lag) },
          ], t.groups));
      };
    },

    groups() {
      const data = el('div');
      replace(view, el('h2', {}, 'Consumer groups'), data);
      return async () => {
        const g = await api('/groups');
        replace(data, table([
          { title: 'Group', value: x => link('group=' + encodeURIComponent(x.name), x.name) },
          { title: 'Mode', value: x => x.mode || '–' },
          { title: 'Members', num: true, value: x => fmtNumber(x.members) },
          { title: 'Lag', num: true, value: x => fmtNumber(x.lag) },
          { title: 'Oldest unconsumed', num: true, value: x => fmtAge(x.oldestAgeSeconds) },
        ], g.groups, x => ({ 'data-testid': 'group-row', 'data-group': x.name })));
      };
    },

    group(name) {
      const data = el('div');
      replace(view, el('h2', {}, 'Consumer group ', el('span', { class: 'mono' }, name)), el('p', {}, link('dlq=' + encodeURIComponent(name), 'Dead letters of this group')), data);
      return async () => {
        const g = await api('/group' + q({ name: name }));
        replace(data,
          el('div', { class: 'cards' },
            card('Total lag', fmtNumber(g.totalLag), 'group-total-lag', g.totalLag),
            card('Members', fmtNumber(g.members.length)), card('Mode', g.mode), card('Strategy', g.strategy), card('Generation', fmtNumber(g.generation))),
          lineChart('Lag (messages)', [{ name: 'lag', cls: 'series-lag', points: g.history.map(p => ({ t: p.at, v: p.lag })) }], fmtNumber),
          el('h3', {}, 'Members'),
          table([
            { title: 'Member', cls: 'mono', value: m => m.memberId },
            { title: 'Client', value: m => m.clientId },
            { title: 'Last heartbeat', value: m => fmtTime(m.lastHeartbeat) },
            { title: 'Subscriptions', value: m => m.subscriptions.map(s => s.topic + ' (' + s.filter + ')').join(', ') },
            { title: 'Queues', value: m => m.queues.join(', ') || '–' },
          ], g.members, m => ({ 'data-testid': 'member-row' })),
          g.pendingMoves.length ? el('p', { class: 'muted' }, 'Moving: ' + g.pendingMoves.join(', ')) : null,
          el('h3', {}, 'Lag per queue'),
          table([
            { title: 'Topic', value: l => l.topic },
            { title: 'Queue', num: true, value: l => l.queueId },
            { title: 'Broker', value: l => l.broker },
            { title: 'Committed', num: true, value: l => fmtNumber(l.committedOffset) },
            { title: 'Max offset', num: true, value: l => fmtNumber(l.maxOffset) },
            { title: 'Lag', num: true, value: l => l.lag < 0 ? 'broker down' : fmtNumber(l.lag) },
            { title: 'Oldest unconsumed', num: true, value: l => fmtAge(l.oldestAgeSeconds) },
            { title: 'Assigned to', cls: 'mono', value: l => l.owner || '–' },
          ], g.lag, l => ({ 'data-testid': 'lag-row' })));
      };
    },

    messages(topic) {
      const results = el('div', { 'data-testid': 'message-results' });
      const detail = el('div', { 'data-testid': 'message-detail' });
      const mode = el('select', { name: 'mode', 'data-testid': 'search-mode' },
        ['time', 'id', 'key', 'uniqueKey'].map(m => el('option', { value: m }, { time: 'Topic and time range', id: 'Message id', key: 'Topic and key', uniqueKey: 'Topic and unique key' }[m])));
      const topicInput = el('input', { name: 'topic', 'data-testid': 'search-topic', value: topic || '' });
      const value = el('input', { name: 'value', 'data-testid': 'search-value', size: 36 });
      const now = new Date();
      const begin = el('input', { name: 'begin', type: 'datetime-local', step: 1, value: localInput(new Date(now.getTime() - 3600e3)) });
      const end = el('input', { name: 'end', type: 'datetime-local', step: 1, value: localInput(new Date(now.getTime() + 60e3)) });
      const valueLabel = el('label', {}, 'Value', value);
      const timeLabels = [el('label', {}, 'From', begin), el('label', {}, 'To', end)];
      const form = el('form', { class: 'inline', 'aria-label': 'Find messages' },
        el('label', {}, 'Find by', mode), el('label', {}, 'Topic', topicInput), valueLabel, timeLabels, el('button', { type: 'submit' }, 'Search'));
      function sync() {
        const m = mode.value;
        valueLabel.hidden = m === 'time';
        timeLabels.forEach(l => { l.hidden = m !== 'time'; });
        topicInput.parentElement.hidden = m === 'id';
        value.parentElement.firstChild.textContent = { id: 'Message id', key: 'Key', uniqueKey: 'Unique key', time: 'Value' }[m];
      }
      mode.addEventListener('change', sync);
      sync();
      form.addEventListener('submit', async e => {
        e.preventDefault();
        const m = mode.value;
        const params = m === 'id' ? { id: value.value }
          : m === 'time' ? { topic: topicInput.value, begin: isoFromLocal(begin.value), end: isoFromLocal(end.value) }
          : { topic: topicInput.value, [m]: value.value };
        try {
          const found = await api('/messages' + q(params));
          showError(null);
          renderMessages(results, detail, found.messages, null);
        } catch (err) { showError(err.message, true); }
      });
      replace(view, el('h2', {}, 'Messages'), form, el('div', { class: 'split' }, results, detail));
      if (topic) form.requestSubmit();
      return null; // Searches run on demand, not on every refresh.
    },

    dlq(group) {
      const results = el('div');
      const detail = el('div', { 'data-testid': 'message-detail' });
      const notice = el('div', { 'aria-live': 'polite' });
      const input = el('input', { name: 'group', required: true, value: group || '', 'data-testid': 'dlq-group' });
      const form = el('form', { class: 'inline', 'aria-label': 'Browse dead letters' }, el('label', {}, 'Consumer group', input), el('button', { type: 'submit' }, 'Show dead letters'));
      form.addEventListener('submit', e => { e.preventDefault(); location.hash = 'dlq=' + encodeURIComponent(input.value.trim()); });
      replace(view, el('h2', {}, 'Dead letters'), form, notice, el('div', { class: 'split' }, results, detail));
      if (!group) return null;
      async function resend(message) {
        try {
          const r = await api('/dlq/resend', { method: 'POST', json: { messageId: message.id } });
          showError(null);
          replace(notice, el('p', { class: 'notice', 'data-testid': 'resend-result' }, `Resent ${message.id} to ${r.topic} as ${r.messageId}.`));
        } catch (err) { showError(err.message, true); }
      }
      return async () => {
        const d = await api('/dlq' + q({ group: group }));
        if (!d.exists) { replace(results, el('p', { class: 'muted' }, `No dead-letter topic ${d.topic}: nothing was dead-lettered for this group.`)); return; }
        renderMessages(results, detail, d.messages, resend);
      };
    },
  };

  function card(label, value, testId, raw) {
    return el('div', { class: 'card', 'data-testid': testId || null, 'data-value': raw === undefined ? null : raw },
      el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
  }
  function diskBar(s) {
    const used = s.diskTotalBytes > 0 ? (s.diskTotalBytes - s.diskFreeBytes) / s.diskTotalBytes : 0;
    const mark = s.diskTotalBytes > 0 ? 1 - s.minFreeDiskBytes / s.diskTotalBytes : 1;
    const bar = el('div', { class: 'disk', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(used * 100),
      'aria-label': `disk ${Math.round(used * 100)}% used; sends stop at ${Math.round(mark * 100)}%`, title: `${Math.round(used * 100)}% used; sends are refused above ${Math.round(mark * 100)}%` });
    const fill = el('div', { class: 'used' + (s.diskFull ? ' full' : '') }); fill.style.width = (used * 100).toFixed(1) + '%';
    const m = el('div', { class: 'mark' }); m.style.left = (mark * 100).toFixed(1) + '%';
    return append(bar, [fill, m]);
  }
  function permissionSelect(selected) {
    const s = el('select', { name: 'permission' }, ['ReadWrite', 'Read', 'Write', 'None'].map(p => el('option', { value: p }, p)));
    s.value = selected;
    return s;
  }
  function localInput(d) {
    const pad = n => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function isoFromLocal(value) { return value ? new Date(value).toISOString() : ''; }

  function renderMessages(results, detail, messages, resend) {
    let selected = null;
    function show(m, row) {
      if (selected) selected.classList.remove('selected');
      selected = row; row.classList.add('selected');
      replace(detail,
        el('h3', {}, 'Message ', el('span', { class: 'mono' }, m.id)),
        table([{ title: 'Field', value: r => r[0] }, { title: 'Value', cls: 'mono', value: r => r[1] }], [
          ['Topic', m.topic], ['Stored in', `${m.storedTopic} / queue ${m.queueId} @ ${m.queueOffset} on ${m.broker}`],
          ['Born', fmtTime(m.bornAt)], ['Stored', fmtTime(m.storedAt)], ['Tag', m.tag || '–'], ['Keys', m.keys.join(', ') || '–'],
          ['Unique key', m.uniqueKey || '–'], ['Reconsumed', m.reconsumeTimes], ['Origin id', m.originMessageId || '–']]),
        el('h3', {}, 'Properties'),
        table([{ title: 'Name', cls: 'mono', value: r => r[0] }, { title: 'Value', cls: 'mono', value: r => r[1] }], Object.entries(m.properties)),
        el('h3', {}, `Body (${fmtBytes(m.bodySize)}, ${m.bodyEncoding === 'text' ? 'UTF-8 text' : 'hexadecimal'}${m.bodyTruncated ? ', truncated' : ''})`),
        el('pre', { class: 'body', 'data-testid': 'message-body' }, m.body));
    }
    const columns = [
      { title: 'Message id', cls: 'mono', value: m => m.id },
      { title: 'Topic', value: m => m.topic },
      { title: 'Queue @ offset', num: true, value: m => `${m.queueId} @ ${m.queueOffset}` },
      { title: 'Stored', value: m => fmtTime(m.storedAt) },
      { title: 'Tag', value: m => m.tag || '–' },
      { title: 'Keys', value: m => m.keys.join(', ') || '–' },
      { title: 'Size', num: true, value: m => fmtBytes(m.bodySize) },
      { title: '', value: m => el('button', { type: 'button', class: 'secondary', 'data-action': 'show' }, 'Details') },
    ];
    if (resend) columns.push({ title: '', value: m => el('button', { type: 'button', 'data-action': 'resend', 'data-testid': 'resend' }, 'Resend') });
    const t = table(columns, messages, m => ({ 'data-testid': 'message-row', 'data-id': m.id }));
    t.addEventListener('click', e => {
      const button = e.target.closest('button');
      if (!button) return;
      const row = button.closest('tr');
      const m = messages.find(x => x.id === row.getAttribute('data-id'));
      if (!m) return;
      if (button.getAttribute('data-action') === 'resend') resend(m); else show(m, row);
    });
    replace(results, el('p', { class: 'muted' }, `${messages.length} message(s).`), t);
  }

  // ---- Routing and refresh --------------------------------------------------------------------------------------------
  function route() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    const eq = hash.indexOf('=');
    const page = eq < 0 ? (hash || 'cluster') : hash.substring(0, eq);
    const arg = eq < 0 ? null : hash.substring(eq + 1);
    const key = page === 'topic' ? 'topics' : page === 'group' ? 'groups' : page;
    for (const a of document.querySelectorAll('nav a[data-page]')) {
      if (a.getAttribute('data-page') === key) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    showError(null);
    generation++;
    const factory = pages[page] || pages.cluster;
    const refresh = factory(arg);
    current = refresh ? { refresh: refresh } : null;
    refreshNow();
  }
  async function refreshNow() {
    if (!current) { updated.textContent = ''; return; }
    const mine = generation;
    try {
      await current.refresh();
      if (mine !== generation) return;
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
      if (!errorBox.dataset.sticky) showError(null);
    } catch (err) {
      if (mine === generation) showError(err.message);
    }
  }
  function schedule() {
    clearInterval(timer);
    if (live.checked) timer = setInterval(refreshNow, REFRESH_MS);
  }
  live.addEventListener('change', schedule);
  window.addEventListener('hashchange', route);
  route();
  schedule();
})();
