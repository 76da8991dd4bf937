/*
 * The page's views and paths: which view shows, the notice above them, links that open a
 * view without a reload, and the token a mailed link carries in its fragment.
 */
(function ($, window) {
  'use strict';

  const history = window.history;
  const location = window.location;
  const ROOT = $('meta[name="page-root"]').attr('content') || '';
  const routes = {};
  let fallback = null;

  // The path inside the page, whatever prefix the app is served under.
  function pathOf(pathname) {
    const path = pathname.indexOf(ROOT + '/') === 0 ? pathname.slice(ROOT.length) : pathname;
    return path || '/';
  }

  // Exactly one view shows; the notice of the one before goes with it.
  function show(name, $focus) {
    $('[data-view]').each(function () {
      $(this).prop('hidden', $(this).attr('data-view') !== name);
    });
    $('#page-notice').empty();
    $(window.document).trigger('page:show', [name]);
    if ($focus) {
      $focus.trigger('focus');
    }
  }

  function notify(message) {
    $('#page-notice').empty().append($('<div class="alert alert-success">').text(message));
  }

  function run(navigated) {
    const handler = routes[pathOf(location.pathname)] || fallback;
    handler({ navigated: navigated });
  }

  function go(href) {
    const same = href === location.pathname + location.search;
    history[same ? 'replaceState' : 'pushState'](null, '', href);
    run(true);
  }

  // The token of a mailed link (``#token=…``), taken out of the address bar at once so that
  // it stays in no history entry, bookmark or screenshot of the bar.
  function takeToken() {
    const token = new window.URLSearchParams(location.hash.slice(1)).get('token');
    if (location.hash) {
      history.replaceState(history.state, '', location.pathname + location.search);
    }
    return token || null;
  }

  function start() {
    $(window.document).on('click', 'a[data-route]', function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      go(this.pathname + this.search);
    });
    $(window).on('popstate', function () { run(true); });
    run(false);
  }

  window.AuthPage = {
    // ``handler({navigated})`` opens the view of ``path``; without a path, of every other one.
    route: function (path, handler) {
      if (path) {
        routes[path] = handler;
      } else {
        fallback = handler;
      }
    },
    show: show,
    notify: notify,
    // Replace this history entry with ``path`` (a view shown after a form), without running it.
    replace: function (path) { history.replaceState(null, '', ROOT + path); },
    takeToken: takeToken,
    start: start
  };
}(window.jQuery, window));
