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
      // A map laid out at zero size throws (ECharts' geo layout): a hidden or collapsing element is left as it was.
      const observer = new ResizeObserver(() => {
        if (created.isDisposed()) observer.disconnect();
        else if (el.clientWidth > 0 && el.clientHeight > 0) created.resize();
      });
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
    // The districts coloured by the selected indicator (the shared geo component), with the live points on top, each
    // coloured by its status; a click on a district opens its cockpit.
    async map(id, name, items, points) {
      await loadGeo();
      const c = chart(id);
      if (!c || !c.getWidth() || !c.getHeight()) return;
      const values = items.map(i => i.value).filter(v => v !== null && v !== undefined);
      const codes = Object.fromEntries(items.map(i => [i.name, i.code]));
      const colours = { Normal: '#2e7d32', Warning: '#f9a825', Alarm: '#c62828', NoData: '#9e9e9e' };
      const kinds = [...new Set(points.map(p => p.kind))].sort();
      const symbols = ['circle', 'rect', 'triangle', 'diamond', 'pin', 'roundRect'];
      c.setOption({
        tooltip: { trigger: 'item', formatter: p => p.seriesType === 'scatter' ? p.data.label
          : p.name + (p.value === p.value && p.value !== undefined ? '<br/>' + p.value.toLocaleString() : '') },
        visualMap: { min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values, 1) : 1, left: 0, bottom: 0,
          itemHeight: 80, textStyle: { fontSize: 10 }, inRange: { color: ['#e3f2fd', '#0d47a1'] }, seriesIndex: 0 },
        geo: { map: 'hangzhou', roam: false, label: { show: true, fontSize: 9 } },
        series: [
          { id: 'districts', type: 'map', geoIndex: 0, name, data: items.map(i => ({ name: i.name, code: i.code, value: i.value ?? undefined })) },
          ...kinds.map((kind, k) => ({
            id: 'layer-' + kind, type: 'scatter', coordinateSystem: 'geo', name: kind, symbol: symbols[k % symbols.length], symbolSize: 9, z: 3,
            // The map is redrawn on every live change: an entrance animation would keep the points invisible.
            animation: false,
            data: points.filter(p => p.kind === kind).map(p => ({ name: p.id, label: p.label, value: [p.lon, p.lat],
              itemStyle: { color: colours[p.status] ?? colours.NoData, borderColor: '#fff', borderWidth: 1 } })),
          })),
        ],
      }, { replaceMerge: ['series'] });
      c.off('click');
      c.on('click', p => {
        const code = p.seriesType === 'scatter' ? null : (p.data && p.data.code) || codes[p.name];
        if (code) Blazor.navigateTo('/cockpit/district/' + code);
      });
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
