// The live traffic map: the roadnet to scale in ECharts (served by the cockpit, no network needed), redrawn from the frames
// that the page pushes over its SignalR circuit. Coordinates are the roadnet's metres.
const maps = new Map();

const lightColours = [null, '#2e7d32', '#f9a825', '#c62828'];

function element(id) {
  return document.getElementById(id);
}

function pairs(points) {
  const out = [];
  for (let i = 0; i < points.length; i += 2) out.push([points[i], points[i + 1]]);
  return out;
}

function length(points) {
  let total = 0;
  for (let i = 2; i < points.length; i += 2) total += Math.hypot(points[i] - points[i - 2], points[i + 1] - points[i - 1]);
  return total;
}

// Grey when no one waits, through orange to red as the lane's queue fills it (a car every 7.5 m).
function queueColour(waiting, capacity) {
  if (waiting === 0) return '#90a4ae';
  const share = Math.min(1, waiting / Math.max(1, capacity));
  return share < 0.5 ? '#fb8c00' : '#c62828';
}

// The same metres per pixel on both axes: the grid takes the largest box of the map's shape that fits the element.
function grid(el, map) {
  const width = Math.max(1, el.clientWidth - 16), height = Math.max(1, el.clientHeight - 16);
  const dx = Math.max(1, map.maxX - map.minX), dy = Math.max(1, map.maxY - map.minY);
  const scale = Math.min(width / dx, height / dy);
  return { left: 8 + (width - dx * scale) / 2, top: 8 + (height - dy * scale) / 2, width: dx * scale, height: dy * scale };
}

export function init(id, map) {
  const el = element(id);
  if (!el) return;
  let chart = echarts.getInstanceByDom(el);
  if (!chart) {
    chart = echarts.init(el);
    new ResizeObserver(() => {
      const state = maps.get(id);
      chart.resize();
      if (state) chart.setOption({ grid: grid(el, state.map) });
    }).observe(el);
  }
  const lanes = map.lanes.map(l => ({ coords: pairs(l.points), capacity: length(l.points) / 7.5, end: l.points.slice(-2), road: l.road }));
  maps.set(id, { map, lanes });
  chart.clear();
  chart.setOption({
    animation: false,
    grid: grid(el, map),
    xAxis: { type: 'value', min: map.minX, max: map.maxX, show: false },
    yAxis: { type: 'value', min: map.minY, max: map.maxY, show: false },
    tooltip: { trigger: 'item' },
    series: [
      { id: 'links', type: 'lines', coordinateSystem: 'cartesian2d', polyline: true, silent: true, z: 1,
        lineStyle: { color: '#cfd8dc', width: 1 }, data: map.links.map(p => ({ coords: pairs(p) })) },
      { id: 'lanes', type: 'lines', coordinateSystem: 'cartesian2d', polyline: true, z: 2,
        data: lanes.map(l => ({ name: l.road, coords: l.coords, lineStyle: { color: '#90a4ae', width: 2 } })) },
      { id: 'lights', type: 'scatter', symbol: 'rect', symbolSize: 5, z: 3, silent: true, data: [] },
      { id: 'moving', type: 'scatter', symbolSize: 4, z: 4, silent: true, itemStyle: { color: '#1565c0' }, data: [] },
      { id: 'stopped', type: 'scatter', symbolSize: 4, z: 4, silent: true, itemStyle: { color: '#d32f2f' }, data: [] },
      { id: 'signals', type: 'scatter', symbolSize: 10, z: 5, itemStyle: { color: '#0d47a1' },
        label: { show: true, position: 'top', fontSize: 10, formatter: p => p.data.phase },
        tooltip: { formatter: p => p.data.id + '<br/>' + p.data.phase }, data: [] },
    ],
  });
  el.dataset.rendered = 'false';
}

export function draw(id, frame) {
  const el = element(id);
  const state = maps.get(id);
  const chart = el && echarts.getInstanceByDom(el);
  if (!state || !chart) return;
  const { map, lanes } = state;
  const laneData = lanes.map((l, i) => ({
    name: l.road, coords: l.coords,
    lineStyle: { color: queueColour(frame.laneWaiting[i], l.capacity), width: frame.laneWaiting[i] > 0 ? 3 : 2 },
  }));
  const lights = [];
  lanes.forEach((l, i) => {
    const light = frame.laneLights[i];
    if (light) lights.push({ value: l.end, itemStyle: { color: lightColours[light] } });
  });
  // Blue at speed, red when crawling or stopped (under 2 m/s).
  const moving = [], stopped = [];
  for (let v = 0; v < frame.vehicles.length; v += 3) {
    (frame.vehicles[v + 2] < 2 ? stopped : moving).push([frame.vehicles[v], frame.vehicles[v + 1]]);
  }
  const signals = map.signals.map((s, i) => ({ value: [s.x, s.y], id: s.id, phase: s.phaseNames[frame.signalPhases[i]] }));
  chart.setOption({
    series: [{ id: 'lanes', data: laneData }, { id: 'lights', data: lights }, { id: 'moving', data: moving }, { id: 'stopped', data: stopped }, { id: 'signals', data: signals }],
  });
  el.dataset.rendered = 'true';
  el.dataset.time = String(frame.time);
  el.dataset.vehicles = String(frame.vehicles.length / 3);
  el.dataset.controller = frame.controller;
}

export function dispose(id) {
  const el = element(id);
  const chart = el && echarts.getInstanceByDom(el);
  if (chart) chart.dispose();
  maps.delete(id);
}
