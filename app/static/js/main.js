/*
 * The page: ask the server who is logged in, show the matching view, and wire the
 * login, sign-up and logout forms to the API.
 */
(function ($, window) {
  'use strict';

  var api = window.AuthApi;
  var forms = window.AuthForms;

  $(function () {
    var $loading = $('#loading-view');
    var $loggedOut = $('#logged-out-view');
    var $signup = $('#signup-view');
    var $loggedIn = $('#logged-in-view');
    var $loginForm = $('#login-form');
    var $signupForm = $('#signup-form');
    var $logoutForm = $('#logout-form');

    // Exactly one state shows: the forms while logged out, the welcome while logged in.
    function show(loggedIn, $focus) {
      $loading.prop('hidden', true);
      $loggedOut.prop('hidden', loggedIn);
      $signup.prop('hidden', loggedIn);
      $loggedIn.prop('hidden', !loggedIn);
      if ($focus) {
        $focus.trigger('focus');
      }
    }

    function showLoggedIn(user, moveFocus) {
      $loggedIn.find('[data-user]').each(function () {
        var $slot = $(this);
        $slot.text(user[$slot.attr('data-user')] || '');
      });
      $.each([$loginForm, $signupForm, $logoutForm], function (_, $form) {
        $form.trigger('reset');
        forms.clearErrors($form);
      });
      show(true, moveFocus ? $('#welcome') : null);
    }

    function showLoggedOut(moveFocus) {
      $loggedIn.find('[data-user]').empty();
      forms.clearErrors($logoutForm);
      show(false, moveFocus ? $('#login-title') : null);
    }

    function userOf(body) {
      return body.data;
    }

    forms.handle($loginForm, api.login, function (body) {
      showLoggedIn(userOf(body), true);
    });

    forms.handle($signupForm, api.signup, function (body) {
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

    api.verifyAuth()
      .done(function (body) {
        showLoggedIn(userOf(body), false);
      })
      .fail(function (xhr) {
        showLoggedOut(false);
        if (xhr.status !== 401) {
          forms.showAlert($loginForm, [
            'Could not check whether you are logged in.',
            api.failure(xhr).message
          ]);
        }
      });
  });
}(window.jQuery, window));
