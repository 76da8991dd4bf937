/*
 * The mailed links that do their work once opened: /confirm#token=… confirms the address,
 * /change-email#token=… changes it. Opening the page only shows it; the token goes in a POST.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const page = window.AuthPage;

  const LINKS = {
    '/confirm': {
      title: 'Confirm your email address',
      busy: 'Confirming your email address…',
      send: api.confirmEmail
    },
    '/change-email': {
      title: 'Change your email address',
      busy: 'Changing your email address…',
      send: api.confirmEmailChange
    }
  };

  $(function () {
    const $view = $('#link-view');
    const $busy = $('#link-busy');
    const $outcome = $('#link-outcome');
    const $continue = $('#link-continue');
    const $noLink = $('#link-no-link');

    function setBusy(busy) {
      $busy.prop('hidden', !busy);
      $continue.prop('hidden', busy);
      if (busy) {
        $view.attr('aria-busy', 'true');
      } else {
        $view.removeAttr('aria-busy');
      }
    }

    function showOutcome(style, lines) {
      setBusy(false);
      const $alert = $('<div class="alert mb-0">').addClass(style);
      $.each(lines, function (_, line) { $('<div>').text(line).appendTo($alert); });
      $outcome.empty().append($alert);
    }

    function problemsOf(failure) {
      let lines = [];
      $.each(failure.fields || {}, function (_, problems) {
        lines = lines.concat(problems);
      });
      return lines.length ? lines : [failure.message];
    }

    $.each(LINKS, function (path, link) {
      page.route(path, function (how) {
        const token = page.takeToken();
        // Back to a link already opened: its token is spent, its outcome shows again.
        const again = !token && $view.attr('data-link') === path && $outcome.children().length > 0;
        if (!again) {
          $view.attr('data-link', path);
          $('#link-title').text(link.title);
          $outcome.empty();
          $noLink.prop('hidden', Boolean(token));
          $continue.prop('hidden', Boolean(token));
        }
        page.show('link', how.navigated ? $('#link-title') : null);
        if (again || !token) {
          return;
        }
        $busy.find('.link-busy-label').text(link.busy);
        setBusy(true);
        link.send(token)
          .done(function (body) { showOutcome('alert-success', [body.message]); })
          .fail(function (xhr) { showOutcome('alert-danger', problemsOf(api.failure(xhr))); });
      });
    });
  });
}(window.jQuery, window));
