// OpenCTI host SDK: embeds the Call Control Panel in an iframe and talks to
// it by postMessage (DESIGN.md §7, §9). No dependencies. Typings:
// types/opencti-host.d.ts.
//
//   const panel = OpenCTIHost.embed({ container: '#ccp', url: 'https://ccp.example.com/embed' });
//   await panel.ready;
//   await panel.call('login', { agentId: '1001', password: 'demo' });
//   panel.on('CallInfoEvent', (e) => openRecord(e.pyUserData));
//   await panel.clickToDial('+15551230001');
(function (global) {
  'use strict';

  function embed(options) {
    const url = new URL(options.url, global.location.href);
    const origin = url.origin;
    if (options.params) {
      for (const [key, value] of Object.entries(options.params)) url.searchParams.set(key, String(value));
    }
    // The panel's language (?lang=); the server renders the page in it.
    if (options.lang) url.searchParams.set('lang', String(options.lang));
    const container = typeof options.container === 'string' ? document.querySelector(options.container) : options.container;
    if (!container) throw new Error('OpenCTIHost.embed: container not found');

    const iframe = document.createElement('iframe');
    iframe.title = options.title || 'Call Control Panel';
    iframe.width = String(options.width || 360);
    iframe.height = String(options.height || 640);
    iframe.allow = 'autoplay; microphone';
    iframe.style.border = '0';

    const pending = new Map();
    const listeners = new Map();
    let nextId = 1;
    let markReady;
    const ready = new Promise((resolve) => (markReady = resolve));

    function emit(type, event) {
      for (const key of [type, '*']) {
        for (const callback of listeners.get(key) || []) {
          try {
            callback(event);
          } catch (err) {
            console.error('OpenCTIHost: an event callback threw', err);
          }
        }
      }
    }

    function onMessage(message) {
      // Only the panel's own frame, from the panel's origin.
      if (message.source !== iframe.contentWindow || message.origin !== origin) return;
      const data = message.data || {};
      if (data.type === 'opencti:ready') markReady();
      else if (data.type === 'opencti:event' && data.event) emit(data.event.pyEventType, data.event);
      else if (data.type === 'opencti:result' && pending.has(data.id)) {
        const { resolve, reject } = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) resolve(data.value === undefined ? null : data.value);
        else reject(data.error);
      }
    }

    function send(message) {
      return ready.then(
        () =>
          new Promise((resolve, reject) => {
            const id = 'h' + nextId++;
            pending.set(id, { resolve, reject });
            iframe.contentWindow.postMessage(Object.assign({ id }, message), origin);
          }),
      );
    }

    // Listen before the frame loads, so that opencti:ready is not missed.
    global.addEventListener('message', onMessage);
    iframe.src = url.toString();
    container.appendChild(iframe);

    return {
      iframe,
      ready,
      /** Calls an Interface function with its arguments object. */
      call: (fn, args) => send({ type: 'opencti:call', fn, args: args || {} }),
      /** Dials a number at once. */
      clickToDial: (number) => send({ type: 'opencti:clickToDial', number }),
      /** Subscribes to OpenCTI events by pyEventType, or '*' for all. */
      on(eventType, callback) {
        if (!listeners.has(eventType)) listeners.set(eventType, new Set());
        listeners.get(eventType).add(callback);
      },
      off(eventType, callback) {
        if (listeners.has(eventType)) listeners.get(eventType).delete(callback);
      },
      destroy() {
        global.removeEventListener('message', onMessage);
        iframe.remove();
        for (const { reject } of pending.values()) reject({ errCode: 'OPENCTI_LINK_DOWN', errMessage: 'the panel was removed' });
        pending.clear();
      },
    };
  }

  global.OpenCTIHost = { embed };
})(window);
