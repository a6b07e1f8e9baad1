/** A feed whose every value tries to break out of an HTML page (for the report tests). */
export const HEADER = "sku,name,url,image,price,currency,brand,category,availability,gtin";

export const HOSTILE = [
  HEADER,
  `X-1,"<script>alert('name')</script>",https://s.example/p1,https://s.example/i1.jpg,10.00,EUR,"</style><script>alert(1)</script>","x' onmouseover='alert(2)",in stock,4006381333931`,
  `"<img src=x onerror=alert(3)>",Plain,https://s.example/p2,https://s.example/i2.jpg,12.50,EUR,"""><svg onload=alert(4)>",Cat,"<iframe src=//evil.example>",123`,
  `X-3,Ok,javascript:alert(5),https://s.example/i3.jpg,"<b>9</b>",EUR,B,C,in stock,`,
].join("\n");
