enum PKIHTTPTestsPlaceholder {}
