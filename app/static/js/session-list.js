/*
 * The user's sessions in the account view: where, since when and when last seen, with a
 * button that ends each one, and one that ends every other. Read again whenever it changes.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const devices = window.AuthDevices;
  const session = window.AuthSession;
  const reauth = window.AuthReauth;

  $(function () {
    const $form = $('#sessions-form');
    const $list = $('#sessions-list');
    let shown = false;
    const endSession = reauth.guard(api.endSession);

    function loggedOut() {
      session.showLoggedOut(true);
    }

    function entryOf(record) {
      const device = devices.label(record.user_agent);
      const $entry = $('<li class="list-group-item d-flex flex-wrap gap-2 align-items-center">')
        .attr('data-session-id', record.id);
      const $about = $('<div class="flex-grow-1 text-break">').appendTo($entry);
      const $name = $('<div class="fw-semibold">').appendTo($about);
      $('<span data-session=device>').text(device).appendTo($name);
      if (record.current) {
        $entry.attr('data-current', 'true');
        $('<span class="badge text-bg-success ms-2" data-session=current>').text('This device')
          .appendTo($name);
      }
      $('<div class="small text-body-secondary" data-session=ip>')
        .text(record.ip ? 'IP address ' + record.ip : 'IP address unknown')
        .appendTo($about);
      $('<div class="small text-body-secondary" data-session=seen>')
        .append('Last seen ', forms.timeOf(record.last_seen_at),
          ', logged in ', forms.timeOf(record.created_at))
        .appendTo($about);
      const $end = $('<button type="button" class="btn btn-sm btn-outline-danger" data-end-session>')
        .attr('data-busy-label', 'Ending…')
        .append($('<span class="button-label">').text(record.current ? 'Log out' : 'End'))
        .append($('<span class="visually-hidden">').text(
          record.current ? ' of this device' : ' the session of ' + device
        ))
        .appendTo($entry);
      $end.data('session', { id: record.id, current: Boolean(record.current) });
      return $entry;
    }

    function render(records) {
      $list.empty();
      $.each(records, function (_, record) {
        $list.append(entryOf(record));
      });
    }

    // Read the list again, and show it if the view is still open.
    function load() {
      $list.attr('aria-busy', 'true');
      return api.getSessions()
        .always(function () { $list.removeAttr('aria-busy'); })
        .done(function (body) {
          if (shown) {
            render(body.data || []);
          }
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            loggedOut();
          } else {
            forms.showAlert($form, ['Could not list your sessions.', api.failure(xhr).message]);
          }
        });
    }

    $list.on('click', '[data-end-session]', function () {
      const $button = $(this);
      const ending = $button.data('session');
      forms.clearErrors($form);
      $button.prop('disabled', true);
      $button.find('.button-label').text($button.attr('data-busy-label'));
      endSession(ending.id)
        .done(function (body) {
          if (ending.current) {
            // This session ended: a logout.
            loggedOut();
            return;
          }
          forms.showStatus($form, body.message);
          load().always(function () { $('#sessions-title').trigger('focus'); });
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            loggedOut();
            return;
          }
          forms.showAlert($form, [api.failure(xhr).message]);
          // Gone already (ended elsewhere): the list says so now.
          load().always(function () { $('#sessions-title').trigger('focus'); });
        });
    });

    forms.handle($form, reauth.guard(api.logoutAll), function (body) {
      forms.showStatus($form, body.message);
      load();
    }, function (xhr) {
      if (xhr.status === 401) {
        loggedOut();
        return true;
      }
      return false;
    });

    $(window.document).on('account:sessions-changed', function () {
      if (shown) {
        load();
      }
    });

    $(window.document).on('page:show', function (_, name) {
      shown = name === 'logged-in';
      $list.empty();
      forms.clearErrors($form);
      if (shown) {
        load();
      }
    });
  });
}(window.jQuery, window));
