/*
 * The second step of a login for an account with two-factor authentication: after the
 * password's 202, ask for a code from the app, or a recovery code, and finish the login.
 */
(function ($, window) {
  'use strict';

  var api = window.AuthApi;
  var forms = window.AuthForms;
  var page = window.AuthPage;

  $(function () {
    var $form = $('#mfa-form');
    var $code = $form.find('[name=code]');
    var $recovery = $form.find('[name=recovery_code]');
    var usingRecovery = false;

    // Which of the two inputs shows (and goes to the server), each emptied on the swap.
    function use(recovery) {
      usingRecovery = recovery;
      $form.trigger('reset');
      forms.clearErrors($form);
      $('#mfa-code-group').prop('hidden', recovery);
      $('#mfa-recovery-group').prop('hidden', !recovery);
      $('#mfa-use-recovery').prop('hidden', recovery);
      $('#mfa-use-code').prop('hidden', !recovery);
      return recovery ? $recovery : $code;
    }

    function verify(fields) {
      return api.verifyMfa(usingRecovery
        ? { recovery_code: $.trim(fields.recovery_code) }
        : { code: fields.code.replace(/\s+/g, '') });
    }

    // Back to the login form, with the reason in its alert region.
    function loginAgain(message) {
      window.AuthSession.showLoggedOut(true);
      forms.showAlert($('#login-form'), [message]);
    }

    forms.handle($form, verify, function (body) {
      window.AuthSession.showLoggedIn(body.data, true);
    }, function (xhr) {
      if (xhr.status !== 401) {
        return false;
      }
      var failure = api.failure(xhr);
      if (api.endsSecondStep(xhr)) {
        loginAgain(failure.message);
        return true;
      }
      // A wrong code: under the field in use; the step stays for another try.
      var fields = {};
      fields[usingRecovery ? 'recovery_code' : 'code'] = [failure.message];
      forms.showErrors($form, { message: failure.message, fields: fields });
      return true;
    });

    $('#mfa-use-recovery').on('click', function () {
      use(true).trigger('focus');
    });

    $('#mfa-use-code').on('click', function () {
      use(false).trigger('focus');
    });

    $('#mfa-cancel').on('click', function () {
      window.AuthSession.showLoggedOut(true);
    });

    // Whatever view comes next, no code lingers in this one.
    $(window.document).on('page:show', function (_, name) {
      if (name !== 'mfa') {
        use(false);
      }
    });

    window.AuthMfaLogin = {
      // The step after a password that wants a second factor; the code field has focus.
      ask: function () {
        page.show('mfa', use(false));
      }
    };
  });
}(window.jQuery, window));
