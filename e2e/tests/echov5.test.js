require("../lib/suite").run("echov5");
