// A second init, after the script tag already initialised the widget.
Pageguide.init({ siteKey: "demo" });
