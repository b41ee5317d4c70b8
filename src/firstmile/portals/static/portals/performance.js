// The performance page's charts: the figures come from the page's JSON block (json_script),
// already in the reader's language; a click on a day or a reason opens the parcels behind it.
(function () {
  "use strict";
  function start() {
    var source = document.getElementById("performance-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var charts = [];
    var rates = document.querySelector('[data-chart="rates"]');
    if (rates) {
      var chart = echarts.init(rates);
      chart.setOption({
        tooltip: {
          trigger: "axis",
          valueFormatter: function (v) { return v == null ? "—" : Math.round(v * 100) + "%"; }
        },
        legend: { type: "scroll", top: 0 },
        grid: { left: 44, right: 16, top: 40, bottom: 28 },
        xAxis: { type: "category", data: data.periods, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
        series: data.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
        })
      });
      chart.on("click", function (event) {
        if (data.links[event.dataIndex]) window.location.href = data.links[event.dataIndex];
      });
      // A click anywhere on the axis' day, not only on a point.
      chart.getZr().on("click", function (event) {
        var point = [event.offsetX, event.offsetY];
        if (!chart.containPixel("grid", point)) return;
        var index = chart.convertFromPixel({ seriesIndex: 0 }, point)[0];
        if (data.links[index]) window.location.href = data.links[index];
      });
      charts.push(chart);
    }
    var reasons = document.querySelector('[data-chart="reasons"]');
    if (reasons && data.reasons && data.reasons.length) {
      var bars = echarts.init(reasons);
      bars.setOption({
        tooltip: { trigger: "item" },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: data.reasons.map(function (r) { return r.name; }) },
        series: [{ type: "bar", data: data.reasons.map(function (r) { return r.value; }) }]
      });
      bars.on("click", function (event) {
        var reason = data.reasons[event.dataIndex];
        if (reason) window.location.href = data.reason_link + "&reason=" + encodeURIComponent(reason.reason);
      });
      charts.push(bars);
    }
    var hours = document.querySelector('[data-chart="hours"]');
    if (hours && data.hours) {
      var perHour = echarts.init(hours);
      perHour.setOption({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.hours.hours },
        yAxis: { type: "value", minInterval: 1 },
        series: data.hours.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
      });
      charts.push(perHour);
    }
    var timeline = document.querySelector('[data-chart="timeline"]');
    if (timeline && data.timeline) {
      var progress = echarts.init(timeline);
      progress.setOption({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.timeline.days, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", minInterval: 1 },
        series: data.timeline.series.map(function (s) { return { name: s.name, type: "line", step: "end", data: s.data }; })
      });
      charts.push(progress);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
