/*
 * The passkeys of the account view: the list (name, when added, when last used), adding one
 * with the browser's WebAuthn prompt, renaming one in place, and removing one. Adding and
 * removing go through the password prompt when the server wants the password again. The
 * list's length is announced as ``passkeys:listed``, for the prompt to offer a passkey.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  const banner = window.AuthBanner;
  const reauth = window.AuthReauth;
  const codes = window.AuthRecoveryCodes;
  const NAME_MAX = 64;

  // A submit button as the page's macro makes it: a spinner, a label, a busy label.
  function submitButton(label, busyLabel, style) {
    return $('<button type="submit">').addClass('btn btn-sm ' + style)
      .attr('data-busy-label', busyLabel)
      .append('<span class="spinner-border spinner-border-sm me-2" aria-hidden="true" hidden></span>')
      .append($('<span class="button-label">').text(label));
  }

  $(function () {
    const $alert = $('#passkeys-alert');
    const $notice = $('#passkeys-notice');
    const $list = $('#passkeys-list');
    const $none = $('#passkeys-none');
    const $unsupported = $('#passkeys-unsupported');
    const $addForm = $('#passkey-add-form');
    const register = api.ceremony(
      reauth.guard(api.beginPasskeyRegistration),
      reauth.guard(api.finishPasskeyRegistration),
      true
    );
    const remove = reauth.guard(api.removePasskey);
    let shown = false;
    let codesShown = false;
    // Each entry's ids: a counter of the page's own, never the server's id.
    let made = 0;

    function loggedOut() {
      session.showLoggedOut(true);
    }

    function clearMessages() {
      $alert.removeClass('alert alert-danger').empty();
      $notice.removeClass('alert alert-success').empty();
    }

    function say(message) {
      clearMessages();
      $notice.addClass('alert alert-success').text(message);
    }

    function complain(lines) {
      clearMessages();
      $alert.addClass('alert alert-danger');
      $.each(lines, function (_, line) {
        $('<div>').text(line).appendTo($alert);
      });
    }

    // A 401 that is not a refused passkey: the session is gone.
    function endedSession(xhr) {
      if (xhr.status === 401 && !api.passkeyRefused(xhr)) {
        loggedOut();
        return true;
      }
      return false;
    }

    function renameFormOf(passkey, $entry) {
      made += 1;
      const id = 'passkey-rename-' + made;
      const $form = $('<form class="mt-2" novalidate hidden data-rename-form>');
      $('<label class="form-label">').attr('for', id).text('New name for ' + passkey.name)
        .appendTo($form);
      $('<input type="text" name="name" class="form-control mb-2" autocomplete="off">')
        .attr({ id: id, maxlength: NAME_MAX, 'aria-describedby': id + '-error' })
        .val(passkey.name)
        .appendTo($form);
      $('<div class="invalid-feedback">').attr('id', id + '-error').appendTo($form);
      $('<div class="form-alert" role="alert" aria-live="assertive" aria-atomic="true">').appendTo($form);
      $form.append(submitButton('Save', 'Saving…', 'btn-primary'));
      $('<button type="button" class="btn btn-sm btn-outline-secondary ms-2" data-cancel-rename>')
        .text('Cancel').appendTo($form);

      forms.handle($form, function (fields) {
        return api.renamePasskey(passkey.id, { name: fields.name.trim() });
      }, function (body) {
        const $renamed = entryOf(body.data);
        $entry.replaceWith($renamed);
        say(body.message);
        $renamed.find('[data-rename-passkey]').trigger('focus');
      }, function (xhr) {
        if (endedSession(xhr)) {
          return true;
        }
        // Removed meanwhile (in another tab): the list says what is true now.
        if (xhr.status === 404) {
          complain([api.failure(xhr).message]);
          load().always(function () { $('#passkeys-title').trigger('focus'); });
          return true;
        }
        return false;
      });
      return $form;
    }

    function entryOf(passkey) {
      const $entry = $('<li class="list-group-item">').attr('data-passkey-id', passkey.id);
      const $row = $('<div class="d-flex flex-wrap gap-2 align-items-center">').appendTo($entry);
      const $about = $('<div class="flex-grow-1 text-break">').appendTo($row);
      const $name = $('<div class="fw-semibold">').appendTo($about);
      $('<span data-passkey="name">').text(passkey.name).appendTo($name);
      if (passkey.backed_up) {
        $('<span class="badge text-bg-secondary ms-2" data-passkey="synced">').text('Synced')
          .appendTo($name);
      }
      $('<div class="small text-body-secondary" data-passkey="created">')
        .append('Added ', forms.timeOf(passkey.created_at))
        .appendTo($about);
      const $used = $('<div class="small text-body-secondary" data-passkey="used">').appendTo($about);
      if (passkey.last_used_at) {
        $used.append('Last used ', forms.timeOf(passkey.last_used_at));
      } else {
        $used.text('Last used never');
      }
      $('<button type="button" class="btn btn-sm btn-outline-secondary" data-rename-passkey>')
        .append($('<span class="button-label">').text('Rename'))
        .append($('<span class="visually-hidden">').text(' the passkey ' + passkey.name))
        .appendTo($row);
      $('<button type="button" class="btn btn-sm btn-outline-danger" data-remove-passkey>')
        .attr('data-busy-label', 'Removing…')
        .append($('<span class="button-label">').text('Remove'))
        .append($('<span class="visually-hidden">').text(' the passkey ' + passkey.name))
        .appendTo($row);
      $entry.append(renameFormOf(passkey, $entry));
      $entry.data('passkey', passkey);
      return $entry;
    }

    function render(passkeys) {
      $list.empty();
      $.each(passkeys, function (_, passkey) {
        $list.append(entryOf(passkey));
      });
      $none.prop('hidden', passkeys.length > 0);
    }

    // Read the list again, and show it if the view is still open.
    function load() {
      $list.attr('aria-busy', 'true');
      return api.getPasskeys()
        .always(function () { $list.removeAttr('aria-busy'); })
        .done(function (body) {
          if (shown) {
            render(body.data || []);
            $(window.document).trigger('passkeys:listed', [(body.data || []).length]);
          }
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            loggedOut();
          } else {
            complain(['Could not list your passkeys.', api.failure(xhr).message]);
          }
        });
    }

    function closeRename($entry, moveFocus) {
      const $form = $entry.find('[data-rename-form]');
      $form.prop('hidden', true).trigger('reset');
      forms.clearErrors($form);
      $entry.find('[data-rename-passkey]').prop('hidden', false);
      if (moveFocus) {
        $entry.find('[data-rename-passkey]').trigger('focus');
      }
    }

    $list.on('click', '[data-rename-passkey]', function () {
      const $entry = $(this).closest('li');
      const $form = $entry.find('[data-rename-form]');
      clearMessages();
      $(this).prop('hidden', true);
      $form.find('[name=name]').val($entry.data('passkey').name);
      $form.prop('hidden', false).find('[name=name]').trigger('focus').trigger('select');
    });

    $list.on('click', '[data-cancel-rename]', function () {
      closeRename($(this).closest('li'), true);
    });

    $list.on('keydown', '[data-rename-form]', function (event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        closeRename($(this).closest('li'), true);
      }
    });

    $list.on('click', '[data-remove-passkey]', function () {
      const $button = $(this);
      const $label = $button.find('.button-label');
      const passkey = $button.closest('li').data('passkey');
      clearMessages();
      $button.prop('disabled', true);
      $label.text($button.attr('data-busy-label'));
      remove(passkey.id)
        .done(function (body) {
          say(body.message);
          $(window.document).trigger('mfa:changed');
          load().always(function () { $('#passkeys-title').trigger('focus'); });
        })
        .fail(function (xhr) {
          if (endedSession(xhr)) {
            return;
          }
          $button.prop('disabled', false);
          $label.text('Remove');
          complain([api.failure(xhr).message]);
          // Gone already (removed elsewhere): the list says so now.
          if (xhr.status === 404) {
            load().always(function () { $('#passkeys-title').trigger('focus'); });
          }
        });
    });

    $addForm.on('submit', function () {
      clearMessages();
      codes.hide();
    });
    forms.handle($addForm, function (fields) {
      return register({ name: fields.name.trim() });
    }, function (body) {
      $addForm.trigger('reset');
      forms.showStatus($addForm, body.message);
      $(window.document).trigger('mfa:changed');
      load();
      // The account's first second factor: its recovery codes, shown once.
      if (body.data && body.data.recovery_codes && body.data.recovery_codes.length) {
        codesShown = true;
        codes.show(body.data.recovery_codes, body.message);
      }
    }, function (xhr) {
      // No passkey before the address is confirmed: say so, and offer a new link.
      if (api.emailNotConfirmed(xhr)) {
        banner.offerResend($addForm, xhr);
        return true;
      }
      return endedSession(xhr);
    });

    $(window.document).on('mfa:codes-done', function () {
      if (codesShown) {
        codesShown = false;
        $('#passkeys-title').trigger('focus');
      }
    });

    // A fresh start each time the view opens or closes.
    $(window.document).on('page:show', function (_, name) {
      const supported = api.supportsPasskeys();
      shown = name === 'logged-in';
      codesShown = false;
      clearMessages();
      $list.empty();
      $none.prop('hidden', true);
      $unsupported.prop('hidden', supported);
      $addForm.prop('hidden', !supported).trigger('reset');
      forms.clearErrors($addForm);
      if (shown) {
        load();
      }
    });
  });
}(window.jQuery, window));
