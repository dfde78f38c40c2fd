// The snippet from docs/embedding.md, then calls made before widget.js has arrived.
window.Pageguide=window.Pageguide||function(){(Pageguide.q=Pageguide.q||[]).push(arguments)};
["init","identify","setContext","open","close","track","on"].forEach(function(m){Pageguide[m]=Pageguide[m]||function(){Pageguide.apply(null,[m].concat([].slice.call(arguments)))}});

Pageguide.identify({ identity_token: "identity-token-123" });
Pageguide.setContext({ plan: "pro", project: "Apollo", route: "/projects/:id", flags: { beta: true } });
Pageguide.track("signup_started", { source: "stub" });
Pageguide("on", "ready", function () { window.readyFired = (window.readyFired || 0) + 1; });
