/*
 * Who is logged in: ask the server, show the matching view, and wire the login, sign-up
 * and logout forms to the API (a login that wants a second factor goes on in mfa-login.js).
 * Every change of user is announced as ``auth:user``; every login ends in ``afterLogin``.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const page = window.AuthPage;
  // The welcome view and the three forms, found once the document is ready.
  let $loggedIn = null;
  let $loginForm = null;
  let $signupForm = null;
  let $logoutForm = null;

  function announce(user) {
    $(window.document).trigger('auth:user', [user]);
  }

  function showLoggedIn(user, moveFocus) {
    $loggedIn.find('[data-user]').each(function () {
      const $slot = $(this);
      $slot.text(user[$slot.attr('data-user')] || '');
    });
    $.each([$loginForm, $signupForm, $logoutForm], function (_, $form) {
      $form.trigger('reset');
      forms.clearErrors($form);
    });
    page.show('logged-in', moveFocus ? $('#welcome') : null);
    announce(user);
  }

  function showLoggedOut(moveFocus) {
    $loggedIn.find('[data-user]').empty();
    forms.clearErrors($logoutForm);
    page.show('logged-out', moveFocus ? $('#login-title') : null);
    announce(null);
  }

  // The end of every login (the password, its second step, a passkey): back to the address
  // the server put in the page (forward auth's ``?next=``, to a listed host only), else the
  // welcome. A visitor already logged in when the page opens stays: a proxy that cannot see
  // this session would send them straight back, in a loop.
  function afterLogin(user) {
    const returnTo = $('meta[name="return-to"]').attr('content');
    if (!returnTo) {
      showLoggedIn(user, true);
      return;
    }
    // No password or code stays in the page while the next one loads.
    $loginForm.trigger('reset');
    page.show('loading');
    window.location.assign(returnTo);
  }

  function userOf(body) {
    return body.data;
  }

  // Ask the server who is logged in, and show that; the answer's promise.
  function refresh(moveFocus) {
    return api.verifyAuth()
      .done(function (body) {
        showLoggedIn(userOf(body), moveFocus);
      })
      .fail(function (xhr) {
        showLoggedOut(moveFocus);
        if (xhr.status !== 401) {
          forms.showAlert($loginForm, [
            'Could not check whether you are logged in.',
            api.failure(xhr).message
          ]);
        }
      });
  }

  window.AuthSession = {
    refresh: refresh,
    afterLogin: afterLogin,
    showLoggedOut: showLoggedOut
  };

  $(function () {
    $loggedIn = $('#logged-in-view');
    $loginForm = $('#login-form');
    $signupForm = $('#signup-form');
    $logoutForm = $('#logout-form');

    forms.handle($loginForm, api.login, function (body) {
      // A 202: the password was right, and the account wants its second factor too, one
      // of ``methods`` (a code, a recovery code, a passkey).
      if (body.data && body.data.mfa_required) {
        $loginForm.trigger('reset');
        // mfa-login.js comes later in the page: its namespace is there by the time of a login.
        window.AuthMfaLogin.ask(body.data.methods);
        return;
      }
      afterLogin(userOf(body));
    });

    forms.handle($signupForm, api.signup, function (body) {
      // A 202 and no user: addresses must be confirmed first, and nobody is logged in. The
      // same words come back whether the address was new or had an account already.
      if (!body.data) {
        $signupForm.trigger('reset');
        forms.showStatus($signupForm, body.message);
        return;
      }
      // A new account stays, whatever the return address: the page asks it to confirm its
      // address first.
      showLoggedIn(userOf(body), true);
    });

    forms.handle($logoutForm, api.logout, function () {
      showLoggedOut(true);
    }, function (xhr) {
      // Already logged out (elsewhere, or the session expired): that is what was asked.
      if (xhr.status === 401) {
        showLoggedOut(true);
        return true;
      }
      return false;
    });

    // Every path without a view of its own is the home: the forms, or the welcome.
    page.route(null, function (how) {
      if (how.navigated) {
        page.show('loading');
      }
      refresh(how.navigated);
    });
  });
}(window.jQuery, window));
