// The health page's charts: the series come from the page (json_script "health-series", the API's JSON)
// with their labels in the reader's language ("health-labels"), and ECharts (served from our static
// files) draws them. The phase transitions are vertical mark lines at their member counts.
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") {
      return;
    }
    el.style.width = "100%";
    el.style.height = window.innerWidth < 600 ? "260px" : "340px";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.grid = option.grid || { left: 48, right: 24, top: 48, bottom: 40, containLabel: true };
    option.tooltip = option.tooltip || { trigger: "axis" };
    chart.setOption(option);
    charts.push(chart);
  }

  function phaseLines(phases, labels) {
    var lines = [];
    if (phases.friends_inside_at !== null) {
      lines.push({ xAxis: phases.friends_inside_at, name: labels.friends_inside_at, lineStyle: { color: "#2e7d32" } });
    }
    if (phases.deals_at !== null) {
      lines.push({ xAxis: phases.deals_at, name: labels.deals_at, lineStyle: { color: "#c62828" } });
    }
    return {
      symbol: "none",
      label: { formatter: "{b}: {c}", position: "insideEndTop" },
      lineStyle: { type: "dashed", width: 2 },
      data: lines,
    };
  }

  function legend() {
    return { top: 0, type: "scroll" };
  }

  function main() {
    var s = data("health-series");
    var t = data("health-labels");
    if (!s || !t) {
      return;
    }
    var months = s.growth_by_month.map(function (m) { return m.month; });
    var countAxis = { type: "value", name: t.member_count, nameLocation: "middle", nameGap: 28, min: 0 };

    draw("chart-growth-month", {
      legend: legend(),
      xAxis: { type: "category", data: months },
      yAxis: [{ type: "value", name: t.members }, { type: "value", name: t.joined }],
      series: [
        { name: t.members, type: "line", data: s.growth_by_month.map(function (m) { return m.members; }) },
        { name: t.joined, type: "bar", yAxisIndex: 1, data: s.growth_by_month.map(function (m) { return m.joined; }) },
        { name: t.left, type: "bar", yAxisIndex: 1, data: s.growth_by_month.map(function (m) { return m.left; }) },
      ],
    });

    draw("chart-growth-count", {
      legend: legend(),
      xAxis: countAxis,
      yAxis: { type: "value", name: t.days },
      series: [
        {
          name: t.days,
          type: "line",
          showSymbol: false,
          data: s.growth_by_count.map(function (g) { return [g.n, g.days]; }),
          markLine: phaseLines(s.phases, t),
        },
      ],
    });

    draw("chart-friends", {
      legend: legend(),
      xAxis: countAxis,
      yAxis: { type: "value", name: t.share, min: 0, max: 1 },
      series: [
        {
          name: t.knew_inside,
          type: "scatter",
          symbolSize: 6,
          data: s.friends_inside.map(function (c) { return [c.n, c.knew_inside ? 1 : 0]; }),
        },
        {
          name: t.rolling_share,
          type: "line",
          showSymbol: false,
          data: s.friends_inside_share.map(function (p) { return [p.n, p.share]; }),
          markLine: phaseLines({ friends_inside_at: s.phases.friends_inside_at, deals_at: null }, t),
        },
      ],
    });

    draw("chart-deals-count", {
      legend: legend(),
      xAxis: countAxis,
      yAxis: { type: "value", name: t.deals, minInterval: 1 },
      series: [
        {
          name: t.deals,
          type: "bar",
          data: s.deals.by_member_count.map(function (p) { return [p.n, p.deals]; }),
          markLine: phaseLines({ friends_inside_at: null, deals_at: s.phases.deals_at }, t),
        },
      ],
    });

    var origins = Object.keys(t.origins);
    draw("chart-deals-month", {
      legend: legend(),
      xAxis: { type: "category", data: s.deals.by_month.map(function (m) { return m.month; }) },
      yAxis: { type: "value", name: t.deals, minInterval: 1 },
      series: origins.map(function (o) {
        return {
          name: t.origins[o],
          type: "bar",
          stack: "origin",
          data: s.deals.by_month.map(function (m) { return m.by_origin[o] || 0; }),
        };
      }),
    });

    var steps = ["proposed", "accepted", "deal"];
    draw("chart-funnel", {
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: steps.map(function (k) { return t.funnel[k]; }) },
      yAxis: { type: "value", name: t.count, minInterval: 1 },
      series: [{ type: "bar", data: steps.map(function (k) { return s.deals.funnel[k]; }), label: { show: true, position: "top" } }],
    });

    var conv = s.conversation.by_month;
    draw("chart-conversation", {
      legend: legend(),
      xAxis: { type: "category", data: conv.map(function (m) { return m.month; }) },
      yAxis: [{ type: "value", name: t.per_active_member }, { type: "value", name: t.asks, minInterval: 1 }],
      series: [
        { name: t.per_active_member, type: "line", data: conv.map(function (m) { return m.per_active_member; }) },
        { name: t.asks, type: "bar", yAxisIndex: 1, data: conv.map(function (m) { return m.asks; }) },
        { name: t.caught, type: "bar", yAxisIndex: 1, data: conv.map(function (m) { return m.caught; }) },
      ],
    });

    var eng = s.engagement.by_month;
    draw("chart-engagement", {
      legend: legend(),
      xAxis: { type: "category", data: eng.map(function (m) { return m.month; }) },
      yAxis: [{ type: "value", name: t.members }, { type: "value", name: t.share, min: 0, max: 1 }],
      series: [
        { name: t.members, type: "line", data: eng.map(function (m) { return m.members; }) },
        { name: t.active, type: "line", data: eng.map(function (m) { return m.active; }) },
        { name: t.going, type: "bar", data: eng.map(function (m) { return m.going; }) },
        { name: t.checked_in, type: "bar", data: eng.map(function (m) { return m.checked_in; }) },
        { name: t.met_offline, type: "bar", data: eng.map(function (m) { return m.met_offline_ties; }) },
        { name: t.envelope_share, type: "line", yAxisIndex: 1, data: eng.map(function (m) { return m.envelope_share; }) },
      ],
    });

    var branches = s.engagement.branches;
    draw("chart-branches", {
      legend: legend(),
      grid: { left: 16, right: 24, top: 48, bottom: 24, containLabel: true },
      yAxis: { type: "category", inverse: true, data: branches.map(function (b) { return b.name; }) },
      xAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t.branch_members, type: "bar", data: branches.map(function (b) { return b.members; }) },
        { name: t.branch_active, type: "bar", data: branches.map(function (b) { return b.active; }) },
      ],
    });

    var phone = window.innerWidth < 600;
    window.addEventListener("resize", function () {
      var nowPhone = window.innerWidth < 600;
      charts.forEach(function (chart) {
        if (nowPhone !== phone) {
          chart.getDom().style.height = nowPhone ? "260px" : "340px";
        }
        chart.resize();
      });
      phone = nowPhone;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
