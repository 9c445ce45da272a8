require("../lib/suite").run("nethttp");
