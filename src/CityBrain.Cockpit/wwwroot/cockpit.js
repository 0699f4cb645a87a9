// ECharts glue for the cockpit pages (served from the app; no network needed).
window.cityCockpit = (() => {
  let geo = null;

  function chart(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    let c = echarts.getInstanceByDom(el);
    if (!c) {
      const created = echarts.init(el);
      // A page that leaves disposes its charts, but the observer may still fire once as the element goes away:
      // resizing a disposed chart throws.
      const observer = new ResizeObserver(() => { if (created.isDisposed()) observer.disconnect(); else created.resize(); });
      observer.observe(el);
      c = created;
    }
    return c;
  }

  function loadGeo() {
    geo ??= fetch('/api/cockpit/geo/districts', { credentials: 'same-origin' })
      .then(r => { if (!r.ok) throw new Error('district map: HTTP ' + r.status); return r.json(); })
      .then(g => echarts.registerMap('hangzhou', g));
    return geo;
  }

  return {
    async map(id, name, items) {
      await loadGeo();
      const c = chart(id);
      if (!c) return;
      const values = items.map(i => i.value).filter(v => v !== null && v !== undefined);
      c.setOption({
        tooltip: { trigger: 'item', formatter: p => p.name + (p.value === p.value && p.value !== undefined ? '<br/>' + p.value.toLocaleString() : '') },
        visualMap: { min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values, 1) : 1, left: 0, bottom: 0,
          itemHeight: 80, textStyle: { fontSize: 10 }, inRange: { color: ['#e3f2fd', '#0d47a1'] } },
        series: [{ type: 'map', map: 'hangzhou', name, roam: false, label: { show: true, fontSize: 9 },
          data: items.map(i => ({ name: i.name, code: i.code, value: i.value ?? undefined })) }],
      });
      c.off('click');
      c.on('click', p => { if (p.data && p.data.code) Blazor.navigateTo('/cockpit/district/' + p.data.code); });
      document.getElementById(id).dataset.rendered = 'true';
    },

    trend(id, name, times, values, measure) {
      const c = chart(id);
      if (!c) return;
      c.setOption({
        grid: { left: 56, right: 12, top: 16, bottom: 24 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', data: times },
        yAxis: { type: 'value', scale: true, name: measure },
        series: [{ type: 'line', name, data: values, showSymbol: false, smooth: true, areaStyle: { opacity: 0.15 } }],
      });
      document.getElementById(id).dataset.rendered = 'true';
    },

    dispose(...ids) {
      for (const id of ids) {
        const el = document.getElementById(id);
        const c = el && echarts.getInstanceByDom(el);
        if (c) c.dispose();
      }
    },
  };
})();

// The pages' live connection (the Blazor circuit) on a screen left on for days: after a drop, retry every second at
// first, then every 5 s, without a limit; once back, the circuit resends what changed meanwhile. A circuit the server no
// longer knows (it restarted) cannot be resumed: the page reloads and shows the current state.
document.addEventListener('DOMContentLoaded', () => {
  document.addEventListener('components-reconnect-state-changed', e => {
    if (e.detail && e.detail.state === 'rejected') location.reload();
  }, true);
  Blazor.start({
    circuit: {
      reconnectionOptions: { maxRetries: 1000000, retryIntervalMilliseconds: attempt => attempt < 10 ? 1000 : 5000 },
    },
  });
});
