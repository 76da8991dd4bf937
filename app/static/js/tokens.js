/*
 * The personal access tokens of the account view: the list (name, scopes, expiry, last use)
 * with a button that revokes each, and the form that makes one, offering only the scopes the
 * user's role may give. Making one goes through the password prompt when the server wants the
 * password again; the new token shows once (new-token.js).
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  const reauth = window.AuthReauth;
  const newToken = window.AuthNewToken;

  $(function () {
    const $alert = $('#tokens-alert');
    const $notice = $('#tokens-notice');
    const $list = $('#tokens-list');
    const $form = $('#token-add-form');
    const create = reauth.guard(api.createToken);
    let shown = false;

    // The section's message: a success in its polite region, a failure's lines in its alert.
    function tell(message, failed) {
      $alert.removeClass('alert alert-danger').empty();
      $notice.removeClass('alert alert-success').empty();
      if (failed) {
        $alert.addClass('alert alert-danger')
          .append($.map(message, function (line) { return $('<div>').text(line); }));
      } else if (message) {
        $notice.addClass('alert alert-success').text(message);
      }
    }

    function entryOf(record) {
      const $entry = $('<li class="list-group-item d-flex flex-wrap gap-2 align-items-center">')
        .attr('data-token-id', record.id).data('token', record);
      const $about = $('<div class="flex-grow-1 text-break">').appendTo($entry);
      $('<div class="fw-semibold" data-token=name>').text(record.name).appendTo($about);
      $('<div class="small" data-token=scopes>').appendTo($about)
        .append($.map(record.scopes, function (scope) { return $('<code class="me-2">').text(scope); }));
      $('<div class="small text-body-secondary" data-token=expires>').appendTo($about)
        .append('Made ', forms.timeOf(record.created_at))
        .append(record.expires_at ? [', expires ', forms.timeOf(record.expires_at)] : ', never expires');
      const $used = $('<div class="small text-body-secondary" data-token=used>').appendTo($about);
      if (record.last_used_at) {
        $used.append('Last used ', forms.timeOf(record.last_used_at),
          record.last_used_ip ? ' from ' + record.last_used_ip : '');
      } else {
        $used.text('Never used');
      }
      $('<button type="button" class="btn btn-sm btn-outline-danger" data-revoke-token>')
        .append($('<span class="button-label">').text('Revoke'))
        .append($('<span class="visually-hidden">').text(' the token ' + record.name))
        .appendTo($entry);
      return $entry;
    }

    // Read the list again, and show it if the view is still open.
    function load() {
      $list.attr('aria-busy', 'true');
      return api.getTokens()
        .always(function () { $list.removeAttr('aria-busy'); })
        .done(function (body) {
          if (shown) {
            $list.empty().append($.map(body.data || [], entryOf));
            $('#tokens-none').prop('hidden', $list.children().length > 0);
          }
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            session.showLoggedOut(true);
          } else {
            tell(['Could not list your tokens.', api.failure(xhr).message], true);
          }
        });
    }

    function loadThenFocus() {
      load().always(function () { $('#tokens-title').trigger('focus'); });
    }

    $list.on('click', '[data-revoke-token]', function () {
      const $button = $(this);
      const $label = $button.find('.button-label');
      const record = $button.closest('li').data('token');
      tell(null);
      $button.prop('disabled', true);
      $label.text('Revoking…');
      api.revokeToken(record.id)
        .done(function (body) {
          tell(body.message);
          if (newToken.isShown(record.id)) {
            newToken.hide();
          }
          loadThenFocus();
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            session.showLoggedOut(true);
            return;
          }
          $button.prop('disabled', false);
          $label.text('Revoke');
          tell([api.failure(xhr).message], true);
          // Gone already (revoked elsewhere): the list says so now.
          if (xhr.status === 404) {
            loadThenFocus();
          }
        });
    });

    $form.on('submit', function () { tell(null); });
    // The API's fields: the ticked scopes as a list; the days as a number, or null when
    // empty (no expiry, which the server refuses unless the operator allows it).
    forms.handle($form, function (fields) {
      const days = fields.expires_in_days.trim();
      return create({
        name: fields.name,
        scopes: $form.find('[name=scopes]:checked:enabled').map(function () { return this.value; }).get(),
        expires_in_days: days === '' ? null : Number(days)
      });
    }, function (body) {
      $form.trigger('reset');
      forms.showStatus($form, body.message);
      newToken.show(body.data);
      load();
    }, function (xhr) {
      if (xhr.status === 401) {
        session.showLoggedOut(true);
        return true;
      }
      return false;
    });

    // Only the scopes this user's role may give are offered (the server checks them too).
    $(window.document).on('auth:user', function (_, user) {
      const role = user ? user.role : null;
      $form.find('[data-scope-roles]').each(function () {
        const mine = $(this).attr('data-scope-roles').split(' ').indexOf(role) >= 0;
        $(this).prop('hidden', !mine).find('input').prop('disabled', !mine);
      });
    });

    // A fresh start each time the view opens or closes (new-token.js puts the new one away).
    $(window.document).on('page:show', function (_, name) {
      shown = name === 'logged-in';
      tell(null);
      $list.empty();
      $('#tokens-none').prop('hidden', true);
      $form.trigger('reset');
      forms.clearErrors($form);
      if (shown) {
        load();
      }
    });
  });
}(window.jQuery, window));
