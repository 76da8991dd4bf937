/*
 * What a session's browser is, in a few words: "Chrome on Linux", "Safari on iPhone",
 * "curl". Read from the User-Agent the session was made with; a guess, never a proof.
 */
(function (window) {
  'use strict';

  const UNKNOWN = 'Unknown device';

  // The first pattern that matches names it: the more specific before the ones they contain.
  const BROWSERS = [
    [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
    [/\b(?:OPR|Opera)\//, 'Opera'],
    [/\bSamsungBrowser\//, 'Samsung Internet'],
    [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
    [/\b(?:HeadlessChrome|Chrome|Chromium|CriOS)\//, 'Chrome'],
    [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
    [/\bMobile\/\w+.*\bAppleWebKit\//, 'Safari'],
    [/\bAppleWebKit\/.*\(KHTML, like Gecko\)$/, 'Safari']
  ];
  const SYSTEMS = [
    [/\biPhone\b/, 'iPhone'],
    [/\biPad\b/, 'iPad'],
    [/\bAndroid\b/, 'Android'],
    [/\bCrOS\b/, 'ChromeOS'],
    [/\bWindows\b/, 'Windows'],
    [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
    [/\bLinux\b|\bX11\b/, 'Linux']
  ];
  // Programs rather than browsers: their own name is the label.
  const TOOLS = [
    [/^curl\//i, 'curl'],
    [/^Wget\//i, 'Wget'],
    [/^python-requests\//i, 'Python requests'],
    [/^python-httpx\//i, 'Python httpx'],
    [/^Python-urllib\//i, 'Python urllib'],
    [/^PostmanRuntime\//i, 'Postman'],
    [/^HTTPie\//i, 'HTTPie'],
    [/^okhttp\//i, 'OkHttp'],
    [/^Go-http-client\//i, 'Go HTTP client']
  ];

  function first(list, text) {
    for (let i = 0; i < list.length; i += 1) {
      if (list[i][0].test(text)) {
        return list[i][1];
      }
    }
    return null;
  }

  function label(userAgent) {
    const text = typeof userAgent === 'string' ? userAgent.trim() : '';
    if (!text) {
      return UNKNOWN;
    }
    const tool = first(TOOLS, text);
    if (tool) {
      return tool;
    }
    const browser = first(BROWSERS, text);
    const system = first(SYSTEMS, text);
    if (browser && system) {
      return browser + ' on ' + system;
    }
    return browser || (system ? 'A browser on ' + system : UNKNOWN);
  }

  window.AuthDevices = { label: label, UNKNOWN: UNKNOWN };
}(window));
