/*
 * Two-factor authentication in the account view: whether it is on, setting it up with the
 * QR code or the key and a first code, turning it off, and new recovery codes. Each of
 * those goes through the password prompt when the server wants the password again.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  const banner = window.AuthBanner;
  const reauth = window.AuthReauth;
  const codes = window.AuthRecoveryCodes;

  // A TOTP key in groups of four, as authenticator apps let people type it.
  function grouped(secret) {
    return String(secret).replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
  }

  const METHOD_NAMES = { totp: 'authenticator app', webauthn: 'passkey' };

  // The second factors that are on: an app, a passkey or both.
  function factorsOn(status) {
    return $.grep(status.methods, function (method) { return METHOD_NAMES[method]; });
  }

  function stateText(status) {
    const on = factorsOn(status);
    if (!on.length) {
      return 'Off';
    }
    const left = status.recovery_codes_left;
    return 'On (' + $.map(on, function (method) { return METHOD_NAMES[method]; }).join(', ') +
      ') · ' + left + (left === 1 ? ' recovery code left' : ' recovery codes left');
  }

  // What the disable field holds: a code (six digits, spaces aside) or the password.
  function disableFields(value) {
    const digits = String(value).replace(/\s+/g, '');
    return /^\d{6}$/.test(digits) ? { code: digits } : { password: value };
  }

  $(function () {
    const $state = $('#mfa-state');
    const $alert = $('#mfa-alert');
    const $notice = $('#mfa-notice');
    const $off = $('#mfa-off');
    const $on = $('#mfa-on');
    const $codes = $('#mfa-codes');
    const $setup = $('#totp-setup');
    const $qrBox = $('#totp-qr-box');
    const $secret = $('#totp-secret');
    const $setupForm = $('#totp-setup-form');
    const $confirmForm = $('#totp-confirm-form');
    const $disableForm = $('#totp-disable-form');
    const $renewForm = $('#recovery-codes-form');
    const allForms = [$setupForm, $confirmForm, $disableForm, $renewForm];
    let shown = false;

    function loggedOut() {
      session.showLoggedOut(true);
    }

    function clearMessages() {
      $alert.removeClass('alert alert-danger').empty();
      $notice.removeClass('alert alert-success').empty();
    }

    function notify(message) {
      $notice.addClass('alert alert-success').text(message);
    }

    // The key of a set-up leaves the page with the set-up.
    function closeSetup() {
      $setup.prop('hidden', true);
      $qrBox.empty();
      $secret.empty();
      $confirmForm.trigger('reset');
      forms.clearErrors($confirmForm);
    }

    function render(status) {
      $state.text(stateText(status));
      $off.prop('hidden', Boolean(status.totp) || !$setup.prop('hidden'));
      $on.prop('hidden', !status.totp);
      $codes.prop('hidden', !factorsOn(status).length);
    }

    // Read the state again, and show it if the view is still open.
    function load() {
      $state.attr('aria-busy', 'true');
      return api.getMfa()
        .always(function () { $state.removeAttr('aria-busy'); })
        .done(function (body) {
          if (shown) {
            render(body.data);
          }
        })
        .fail(function (xhr) {
          if (xhr.status === 401) {
            loggedOut();
            return;
          }
          $alert.addClass('alert alert-danger').empty()
            .append($('<div>').text('Could not read your two-factor settings.'))
            .append($('<div>').text(api.failure(xhr).message));
        });
    }

    function refusals(xhr) {
      if (xhr.status === 401) {
        loggedOut();
        return true;
      }
      // Turned on or off meanwhile (in another tab): say so, and show what is true now.
      if (xhr.status === 409) {
        clearMessages();
        $alert.addClass('alert alert-danger').text(api.failure(xhr).message);
        closeSetup();
        load();
        return true;
      }
      return false;
    }

    function before() {
      clearMessages();
      codes.hide();
    }

    $setupForm.on('submit', before);
    forms.handle($setupForm, reauth.guard(api.setupTotp), function (body) {
      const data = body.data;
      // Made here, not in the markup: the page holds no image but this one, while it shows.
      $('<img id="totp-qr" class="d-block border bg-white p-2" width="200" height="200">')
        .attr('alt', 'QR code of the key, for your authenticator app to scan')
        .attr('src', data.qr_code)
        .appendTo($qrBox.empty());
      $secret.text(grouped(data.secret));
      $confirmForm.trigger('reset');
      forms.clearErrors($confirmForm);
      $off.prop('hidden', true);
      $setup.prop('hidden', false);
      $('#totp-setup-title').trigger('focus');
    }, function (xhr) {
      // No second factor before the address is confirmed: say so, and offer a new link.
      if (api.emailNotConfirmed(xhr)) {
        banner.offerResend($setupForm, xhr);
        return true;
      }
      return refusals(xhr);
    });

    $('#totp-setup-cancel').on('click', function () {
      closeSetup();
      $off.prop('hidden', false);
      $('#totp-setup-button').trigger('focus');
    });

    forms.handle($confirmForm, reauth.guard(api.confirmTotp), function (body) {
      closeSetup();
      codes.show(body.data.recovery_codes, body.message);
      load();
    }, refusals);

    $disableForm.on('submit', before);
    forms.handle($disableForm, reauth.guard(function (fields) {
      return api.disableTotp(disableFields(fields.code_or_password));
    }), function (body) {
      $disableForm.trigger('reset');
      notify(body.message);
      $('#mfa-section-title').trigger('focus');
      load();
    }, function (xhr) {
      // A wrong code or password, or a malformed one: under the one field.
      const failure = api.failure(xhr);
      const own = xhr.status === 403 && !api.needsReauthentication(xhr) && !api.isCsrfFailure(xhr);
      if (own || (xhr.status === 422 && failure.fields)) {
        forms.showErrors($disableForm, {
          message: failure.message,
          fields: { code_or_password: own ? [failure.message] : $.map(failure.fields, function (list) {
            return list;
          }) }
        });
        return true;
      }
      return refusals(xhr);
    });

    $renewForm.on('submit', before);
    forms.handle($renewForm, reauth.guard(api.renewRecoveryCodes), function (body) {
      codes.show(body.data.recovery_codes, body.message);
      load();
    }, refusals);

    $(window.document).on('mfa:codes-done', function () {
      $('#mfa-section-title').trigger('focus');
    });

    // A passkey added or removed may turn the second step on or off.
    $(window.document).on('mfa:changed', function () {
      if (shown) {
        load();
      }
    });

    // A fresh start each time the view opens or closes: no key or password lingers.
    $(window.document).on('page:show', function (_, name) {
      shown = name === 'logged-in';
      closeSetup();
      clearMessages();
      $state.empty();
      $off.prop('hidden', true);
      $on.prop('hidden', true);
      $codes.prop('hidden', true);
      $.each(allForms, function (_, $form) {
        $form.trigger('reset');
        forms.clearErrors($form);
      });
      if (shown) {
        load();
      }
    });
  });
}(window.jQuery, window));
